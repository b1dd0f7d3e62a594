#include "daemon/api/metrics.h"

#include <spdlog/spdlog.h>

#include <charconv>
#include <cmath>
#include <stdexcept>

namespace fangfan {
namespace {

// Shortest text that reads back as the same double; Prometheus spells the infinities +Inf/-Inf.
std::string number(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  return ec == std::errc{} ? std::string(buf, end) : "NaN";
}

// HELP text escapes backslash and newline only (the exposition format's rule).
std::string escape_help(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

const char* type_name(MetricFamily::Type t) {
  switch (t) {
    case MetricFamily::Type::kCounter:
      return "counter";
    case MetricFamily::Type::kGauge:
      return "gauge";
    case MetricFamily::Type::kHistogram:
      return "histogram";
  }
  return "untyped";
}

}  // namespace

std::string escape_label_value(std::string_view value) {
  std::string out;
  for (char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::vector<double> latency_buckets() {
  return {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

// ---- MetricFamily

void MetricFamily::render(std::string& out) const {
  out += "# HELP " + name_ + " " + escape_help(help_) + "\n";
  out += "# TYPE " + name_ + " " + type_name(type_) + "\n";
  std::lock_guard lock(mutex_);
  render_samples(out);
}

void MetricFamily::check_arity(const LabelValues& values) const {
  if (values.size() != labels_.size()) {
    throw std::invalid_argument("metric " + name_ + " takes " + std::to_string(labels_.size()) +
                                " label values, got " + std::to_string(values.size()));
  }
}

std::string MetricFamily::label_text(const LabelValues& values, std::string_view extra) const {
  if (values.empty() && extra.empty()) return "";
  std::string out = "{";
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out += ',';
    out += labels_[i] + "=\"" + escape_label_value(values[i]) + "\"";
  }
  if (!extra.empty()) {
    if (!values.empty()) out += ',';
    out += extra;
  }
  out += '}';
  return out;
}

// ---- counters

void CounterFamily::inc(const LabelValues& labels, double by) {
  check_arity(labels);
  if (by < 0) throw std::invalid_argument("counter " + name() + " cannot go down");
  std::lock_guard lock(mutex_);
  values_[labels] += by;
}

double CounterFamily::value(const LabelValues& labels) const {
  std::lock_guard lock(mutex_);
  auto it = values_.find(labels);
  return it == values_.end() ? 0 : it->second;
}

void CounterFamily::render_samples(std::string& out) const {
  for (const auto& [labels, v] : values_)
    out += name() + label_text(labels) + " " + number(v) + "\n";
}

// ---- gauges

void GaugeFamily::set(const LabelValues& labels, double value) {
  check_arity(labels);
  std::lock_guard lock(mutex_);
  values_[labels] = value;
}

void GaugeFamily::add(const LabelValues& labels, double by) {
  check_arity(labels);
  std::lock_guard lock(mutex_);
  values_[labels] += by;
}

double GaugeFamily::value(const LabelValues& labels) const {
  std::lock_guard lock(mutex_);
  auto it = values_.find(labels);
  return it == values_.end() ? 0 : it->second;
}

void GaugeFamily::clear() {
  std::lock_guard lock(mutex_);
  values_.clear();
}

void GaugeFamily::replace(std::map<LabelValues, double> values) {
  for (const auto& [labels, v] : values) check_arity(labels);
  std::lock_guard lock(mutex_);
  values_ = std::move(values);
}

void GaugeFamily::render_samples(std::string& out) const {
  for (const auto& [labels, v] : values_)
    out += name() + label_text(labels) + " " + number(v) + "\n";
}

// ---- histograms

HistogramFamily::HistogramFamily(std::string name, std::string help,
                                 std::vector<std::string> labels, std::vector<double> buckets)
    : MetricFamily(std::move(name), std::move(help), Type::kHistogram, std::move(labels)),
      buckets_(std::move(buckets)) {
  for (std::size_t i = 1; i < buckets_.size(); ++i) {
    if (!(buckets_[i - 1] < buckets_[i])) {
      throw std::logic_error("histogram " + this->name() + ": buckets must increase");
    }
  }
}

void HistogramFamily::observe(const LabelValues& labels, double value) {
  check_arity(labels);
  std::lock_guard lock(mutex_);
  Series& s = series_[labels];
  if (s.bucket_counts.empty()) s.bucket_counts.assign(buckets_.size(), 0);
  for (std::size_t i = 0; i < buckets_.size(); ++i) {
    if (value <= buckets_[i]) {
      ++s.bucket_counts[i];
      break;
    }
  }
  ++s.count;
  s.sum += value;
}

std::uint64_t HistogramFamily::count(const LabelValues& labels) const {
  std::lock_guard lock(mutex_);
  auto it = series_.find(labels);
  return it == series_.end() ? 0 : it->second.count;
}

void HistogramFamily::render_samples(std::string& out) const {
  for (const auto& [labels, s] : series_) {
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i < buckets_.size(); ++i) {
      cumulative += s.bucket_counts[i];
      out += name() + "_bucket" + label_text(labels, "le=\"" + number(buckets_[i]) + "\"") + " " +
             std::to_string(cumulative) + "\n";
    }
    out += name() + "_bucket" + label_text(labels, "le=\"+Inf\"") + " " + std::to_string(s.count) +
           "\n";
    out += name() + "_sum" + label_text(labels) + " " + number(s.sum) + "\n";
    out += name() + "_count" + label_text(labels) + " " + std::to_string(s.count) + "\n";
  }
}

// ---- registry

template <class F, class... Args>
F& MetricsRegistry::get_or_add(const std::string& name, MetricFamily::Type type,
                               const std::vector<std::string>& labels, Args&&... args) {
  std::lock_guard lock(mutex_);
  auto it = families_.find(name);
  if (it != families_.end()) {
    if (it->second->type() != type || it->second->label_names() != labels) {
      throw std::logic_error("metric " + name + " registered twice with different shapes");
    }
    return static_cast<F&>(*it->second);
  }
  auto family = std::make_unique<F>(name, std::forward<Args>(args)...);
  F& ref = *family;
  families_.emplace(name, std::move(family));
  return ref;
}

CounterFamily& MetricsRegistry::counter(const std::string& name, const std::string& help,
                                        std::vector<std::string> labels) {
  return get_or_add<CounterFamily>(name, MetricFamily::Type::kCounter, labels, help,
                                   MetricFamily::Type::kCounter, labels);
}

GaugeFamily& MetricsRegistry::gauge(const std::string& name, const std::string& help,
                                    std::vector<std::string> labels) {
  return get_or_add<GaugeFamily>(name, MetricFamily::Type::kGauge, labels, help,
                                 MetricFamily::Type::kGauge, labels);
}

HistogramFamily& MetricsRegistry::histogram(const std::string& name, const std::string& help,
                                            std::vector<std::string> labels,
                                            std::vector<double> buckets) {
  return get_or_add<HistogramFamily>(name, MetricFamily::Type::kHistogram, labels, help, labels,
                                     std::move(buckets));
}

void MetricsRegistry::add_collector(std::string name, Collector collector) {
  std::lock_guard lock(mutex_);
  collectors_.emplace_back(std::move(name), std::move(collector));
}

void MetricsRegistry::collect(soci::session& session, TimePoint now) {
  std::vector<std::pair<std::string, Collector>> collectors;
  {
    std::lock_guard lock(mutex_);
    collectors = collectors_;
  }
  for (const auto& [name, collector] : collectors) {
    try {
      collector(session, now);
    } catch (const std::exception& e) {
      spdlog::warn("metrics.collector_failed collector={} error=\"{}\"", name, e.what());
      counter("fangfan_metrics_collector_errors_total",
              "Metrics collectors that failed while /metrics was scraped.", {"collector"})
          .inc({name});
    }
  }
}

std::string MetricsRegistry::render() const {
  std::string out;
  std::lock_guard lock(mutex_);
  for (const auto& [name, family] : families_) family->render(out);
  return out;
}

}  // namespace fangfan
