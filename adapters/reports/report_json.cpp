#include "adapters/reports/report_json.h"

#include <boost/json.hpp>

namespace fangfan {
namespace json = boost::json;

json::object report_to_json(const ReportTable& table) {
  json::array sections;
  for (const ReportSection& s : table.sections) {
    json::array headers, rows;
    for (const auto& h : s.headers) headers.emplace_back(h);
    for (const auto& cells : s.rows) {
      json::array row;
      for (const auto& c : cells) {
        std::visit([&row](const auto& v) { row.emplace_back(v); }, c);
      }
      rows.push_back(std::move(row));
    }
    json::value chart = nullptr;
    if (s.chart) {
      json::array series;
      for (int c : s.chart->series_columns) series.emplace_back(c);
      chart = json::object{{"kind", s.chart->kind == ReportChart::Kind::kBar ? "bar" : "column"},
                           {"title", s.chart->title},
                           {"category_column", s.chart->category_column},
                           {"series_columns", std::move(series)},
                           {"rows", s.chart->rows}};
    }
    sections.push_back(json::object{{"title", s.title},
                                    {"headers", std::move(headers)},
                                    {"rows", std::move(rows)},
                                    {"chart", std::move(chart)}});
  }
  json::array footer;
  for (const auto& f : table.footer) footer.emplace_back(f);
  return json::object{{"report", table.name},
                      {"title", table.title},
                      {"scope", table.scope},
                      {"sections", std::move(sections)},
                      {"footer", std::move(footer)}};
}

std::optional<ReportTable> report_from_json(const json::value& value) {
  try {
    const json::object& o = value.as_object();
    ReportTable t;
    t.name = json::value_to<std::string>(o.at("report"));
    t.title = json::value_to<std::string>(o.at("title"));
    t.scope = json::value_to<std::string>(o.at("scope"));
    for (const json::value& sv : o.at("sections").as_array()) {
      const json::object& so = sv.as_object();
      ReportSection s;
      s.title = json::value_to<std::string>(so.at("title"));
      s.headers = json::value_to<std::vector<std::string>>(so.at("headers"));
      for (const json::value& rv : so.at("rows").as_array()) {
        std::vector<ReportCell> cells;
        for (const json::value& cv : rv.as_array()) {
          if (cv.is_string()) {
            cells.emplace_back(std::string(cv.get_string()));
          } else if (cv.is_int64()) {
            cells.emplace_back(cv.get_int64());
          } else if (cv.is_uint64()) {
            cells.emplace_back(static_cast<std::int64_t>(cv.get_uint64()));
          } else {
            cells.emplace_back(cv.as_double());
          }
        }
        s.rows.push_back(std::move(cells));
      }
      if (const json::value* cv = so.if_contains("chart"); cv && cv->is_object()) {
        const json::object& co = cv->get_object();
        ReportChart c;
        c.kind = co.at("kind").as_string() == "bar" ? ReportChart::Kind::kBar
                                                    : ReportChart::Kind::kColumn;
        c.title = json::value_to<std::string>(co.at("title"));
        c.category_column = static_cast<int>(co.at("category_column").to_number<std::int64_t>());
        c.series_columns = json::value_to<std::vector<int>>(co.at("series_columns"));
        if (const json::value* rows = co.if_contains("rows")) {
          c.rows = static_cast<int>(rows->to_number<std::int64_t>());
        }
        s.chart = c;
      }
      t.sections.push_back(std::move(s));
    }
    t.footer = json::value_to<std::vector<std::string>>(o.at("footer"));
    return t;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

}  // namespace fangfan
