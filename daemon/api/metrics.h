// Prometheus metrics: a small registry of counters, gauges and histograms with
// labels, rendered in the Prometheus text exposition format (version 0.0.4)
// for GET /metrics. Hand-written on purpose: the daemon needs a handful of
// families, not a client library.
//
//   auto& requests = registry.counter("fangfan_http_requests_total",
//                                     "HTTP requests answered.", {"method", "route", "status"});
//   requests.inc({"GET", "/api/v1/outbox", "200"});
//
// Families are created once and live as long as the registry; the reference
// returned stays valid. Asking again for an existing name returns the same
// family; asking with another type or other label names is a programming error
// (std::logic_error). Label values are given in the order of the label names.
//
// Thread-safety: every member function may be called from any thread (the loop
// thread updates request metrics, storage threads fill gauges at scrape time).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "workflows/clock.h"

namespace soci {
class session;
}  // namespace soci

namespace fangfan {

using LabelValues = std::vector<std::string>;

class MetricFamily {
 public:
  enum class Type { kCounter, kGauge, kHistogram };
  MetricFamily(std::string name, std::string help, Type type, std::vector<std::string> labels)
      : name_(std::move(name)), help_(std::move(help)), type_(type), labels_(std::move(labels)) {}
  virtual ~MetricFamily() = default;

  const std::string& name() const { return name_; }
  Type type() const { return type_; }
  const std::vector<std::string>& label_names() const { return labels_; }
  // Appends "# HELP", "# TYPE" and one line per sample.
  void render(std::string& out) const;

 protected:
  // REQUIRES: values.size() == label_names().size() (std::invalid_argument otherwise).
  void check_arity(const LabelValues& values) const;
  // `{a="x",b="y"}` with `extra` (e.g. le="0.5") appended; "" when there are no labels.
  std::string label_text(const LabelValues& values, std::string_view extra = {}) const;
  virtual void render_samples(std::string& out) const = 0;

  mutable std::mutex mutex_;

 private:
  std::string name_;
  std::string help_;
  Type type_;
  std::vector<std::string> labels_;
};

class CounterFamily final : public MetricFamily {
 public:
  using MetricFamily::MetricFamily;
  // REQUIRES: by >= 0 (counters only go up).
  void inc(const LabelValues& labels, double by = 1);
  double value(const LabelValues& labels) const;  // 0 when never incremented

 private:
  void render_samples(std::string& out) const override;
  std::map<LabelValues, double> values_;
};

class GaugeFamily final : public MetricFamily {
 public:
  using MetricFamily::MetricFamily;
  void set(const LabelValues& labels, double value);
  void add(const LabelValues& labels, double by);
  double value(const LabelValues& labels) const;  // 0 when never set
  // Forgets every label set: a collector that recounts from the database calls
  // this first, so a state nobody is in any more disappears instead of keeping
  // its last count. replace() does both under one lock, so a scrape never sees
  // a half-filled family.
  void clear();
  void replace(std::map<LabelValues, double> values);

 private:
  void render_samples(std::string& out) const override;
  std::map<LabelValues, double> values_;
};

class HistogramFamily final : public MetricFamily {
 public:
  // REQUIRES: buckets strictly increasing; +Inf is implicit.
  HistogramFamily(std::string name, std::string help, std::vector<std::string> labels,
                  std::vector<double> buckets);
  void observe(const LabelValues& labels, double value);
  // Observations so far for `labels` (0 when none).
  std::uint64_t count(const LabelValues& labels) const;

 private:
  struct Series {
    std::vector<std::uint64_t> bucket_counts;  // per bucket, not cumulative
    std::uint64_t count = 0;
    double sum = 0;
  };
  void render_samples(std::string& out) const override;
  std::vector<double> buckets_;
  std::map<LabelValues, Series> series_;
};

class MetricsRegistry {
 public:
  CounterFamily& counter(const std::string& name, const std::string& help,
                         std::vector<std::string> labels = {});
  GaugeFamily& gauge(const std::string& name, const std::string& help,
                     std::vector<std::string> labels = {});
  HistogramFamily& histogram(const std::string& name, const std::string& help,
                             std::vector<std::string> labels, std::vector<double> buckets);

  // Every family, sorted by name, in the text exposition format.
  std::string render() const;

  // Refreshes gauges from the database when /metrics is scraped (outbox messages
  // by status, cases by state, ...). Runs on a storage thread with that thread's
  // session. Register collectors before the server runs.
  using Collector = std::function<void(soci::session&, TimePoint now)>;
  void add_collector(std::string name, Collector collector);
  // Runs every collector in registration order. One that throws is logged and
  // counted in fangfan_metrics_collector_errors_total{collector}; the others still run.
  void collect(soci::session& session, TimePoint now);

  // The content type of render()'s output.
  static constexpr const char* kContentType = "text/plain; version=0.0.4; charset=utf-8";

 private:
  template <class F, class... Args>
  F& get_or_add(const std::string& name, MetricFamily::Type type,
                const std::vector<std::string>& labels, Args&&... args);

  mutable std::mutex mutex_;
  std::map<std::string, std::unique_ptr<MetricFamily>> families_;
  std::vector<std::pair<std::string, Collector>> collectors_;
};

// Latency buckets in seconds, for request durations: 1 ms to 10 s.
std::vector<double> latency_buckets();

// A label value or HELP text escaped for the exposition format.
std::string escape_label_value(std::string_view value);

}  // namespace fangfan
