namespace fangfan {}
