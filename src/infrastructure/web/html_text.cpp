#include "infrastructure/web/html_text.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <utility>

namespace fixit::infrastructure::web {

namespace {

// The named references helpdesk editors produce; anything else stays literal.
constexpr std::pair<std::string_view, char32_t> named_references[] = {
    {"amp", U'&'},    {"lt", U'<'},     {"gt", U'>'},     {"quot", U'"'},   {"apos", U'\''},
    {"nbsp", U' '},   {"laquo", U'«'},  {"raquo", U'»'},  {"mdash", U'—'},  {"ndash", U'–'},
    {"minus", U'−'},  {"hellip", U'…'}, {"bull", U'•'},   {"middot", U'·'}, {"lsquo", U'‘'},
    {"rsquo", U'’'},  {"sbquo", U'‚'},  {"ldquo", U'“'},  {"rdquo", U'”'},  {"bdquo", U'„'},
    {"prime", U'′'},  {"Prime", U'″'},  {"copy", U'©'},   {"reg", U'®'},    {"trade", U'™'},
    {"deg", U'°'},    {"plusmn", U'±'}, {"times", U'×'},  {"divide", U'÷'}, {"euro", U'€'},
    {"pound", U'£'},  {"cent", U'¢'},   {"yen", U'¥'},    {"sect", U'§'},   {"para", U'¶'},
    {"numero", U'№'}, {"frac12", U'½'}, {"frac14", U'¼'}, {"frac34", U'¾'}, {"larr", U'←'},
    {"rarr", U'→'},   {"uarr", U'↑'},   {"darr", U'↓'},   {"thinsp", U' '},
};

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool is_line_break_tag(std::string_view name) {
  static constexpr std::string_view block_tags[] = {
      "p",  "div", "li", "ul", "ol",  "tr",      "table",   "h1",     "h2",     "h3",        "h4",
      "h5", "h6",  "br", "hr", "pre", "section", "article", "header", "footer", "blockquote"};
  return std::find(std::begin(block_tags), std::end(block_tags), name) != std::end(block_tags);
}

class TextBuilder {
 public:
  void text(std::string_view piece) {
    for (const char c : piece) {
      if (is_space(c)) {
        pending_space_ = true;
      } else {
        flush_space();
        out_ += c;
      }
    }
  }

  void decoded(char32_t code_point) {
    if (code_point == U' ' || code_point == U'\u00a0' || code_point == U'\u2009') {
      pending_space_ = true;
      return;
    }
    if (code_point == U'\u00ad') {
      return;  // a soft hyphen only shows where a word may break
    }
    flush_space();
    append_utf8(out_, code_point);
  }

  void hard_break() {
    trim_line_end();
    out_ += '\n';
    pending_space_ = false;
  }

  // A block boundary: a new line unless one has just started.
  void soft_break() {
    trim_line_end();
    if (!out_.empty() && out_.back() != '\n') {
      out_ += '\n';
    }
    pending_space_ = false;
  }

  std::string finish() {
    trim_line_end();
    const auto first = out_.find_first_not_of('\n');
    if (first == std::string::npos) {
      return {};
    }
    const auto last = out_.find_last_not_of('\n');
    // At most one empty line in a row, as a reader would expect.
    std::string result;
    result.reserve(last - first + 1);
    int newlines = 0;
    for (std::size_t i = first; i <= last; ++i) {
      if (out_[i] == '\n') {
        if (++newlines > 2) {
          continue;
        }
      } else {
        newlines = 0;
      }
      result += out_[i];
    }
    return result;
  }

 private:
  void flush_space() {
    if (pending_space_ && !out_.empty() && out_.back() != '\n') {
      out_ += ' ';
    }
    pending_space_ = false;
  }

  void trim_line_end() {
    while (!out_.empty() && out_.back() == ' ') {
      out_.pop_back();
    }
  }

  std::string out_;
  bool pending_space_ = false;
};

// Decodes the reference at html[at] == '&'; returns the characters consumed,
// or 0 when it is not a reference this function knows.
std::size_t decode_reference(std::string_view html, std::size_t at, TextBuilder& out) {
  const auto semicolon = html.find(';', at);
  if (semicolon == std::string_view::npos || semicolon - at > 12) {
    return 0;
  }
  const auto name = html.substr(at + 1, semicolon - at - 1);
  if (name.size() >= 2 && name[0] == '#') {
    const bool hex = name[1] == 'x' || name[1] == 'X';
    const auto digits = name.substr(hex ? 2 : 1);
    std::uint32_t value = 0;
    const auto [end, error] =
        std::from_chars(digits.data(), digits.data() + digits.size(), value, hex ? 16 : 10);
    if (digits.empty() || error != std::errc{} || end != digits.data() + digits.size() ||
        value == 0 || value > 0x10FFFF || (value >= 0xD800 && value <= 0xDFFF)) {
      return 0;
    }
    out.decoded(static_cast<char32_t>(value));
    return semicolon - at + 1;
  }
  for (const auto& [reference, code_point] : named_references) {
    if (reference == name) {
      out.decoded(code_point);
      return semicolon - at + 1;
    }
  }
  return 0;
}

}  // namespace

void append_utf8(std::string& out, char32_t code_point) {
  const auto c = static_cast<std::uint32_t>(code_point);
  if (c < 0x80) {
    out += static_cast<char>(c);
  } else if (c < 0x800) {
    out += static_cast<char>(0xC0 | (c >> 6));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else if (c < 0x10000) {
    if (c >= 0xD800 && c <= 0xDFFF) {
      return;
    }
    out += static_cast<char>(0xE0 | (c >> 12));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else if (c <= 0x10FFFF) {
    out += static_cast<char>(0xF0 | (c >> 18));
    out += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  }
}

std::string html_to_text(std::string_view html) {
  TextBuilder out;
  std::size_t i = 0;
  while (i < html.size()) {
    const char c = html[i];
    if (c == '&') {
      const auto consumed = decode_reference(html, i, out);
      if (consumed > 0) {
        i += consumed;
        continue;
      }
      out.text("&");
      ++i;
      continue;
    }
    if (c != '<') {
      const auto next = html.find_first_of("<&", i);
      const auto end = next == std::string_view::npos ? html.size() : next;
      out.text(html.substr(i, end - i));
      i = end;
      continue;
    }

    if (html.substr(i, 4) == "<!--") {
      const auto end = html.find("-->", i + 4);
      i = end == std::string_view::npos ? html.size() : end + 3;
      continue;
    }
    const auto close = html.find('>', i);
    if (close == std::string_view::npos) {
      out.text("<");  // a lone '<' is text
      ++i;
      continue;
    }
    auto tag = html.substr(i + 1, close - i - 1);
    const bool closing = !tag.empty() && tag.front() == '/';
    if (closing) {
      tag.remove_prefix(1);
    }
    const auto name_end = tag.find_first_of(" \t\r\n/");
    const auto name = lower(tag.substr(0, name_end));
    if (name.empty() || !std::isalpha(static_cast<unsigned char>(name.front()))) {
      out.text(html.substr(i, 1));  // "a < b" is text, not a tag
      ++i;
      continue;
    }
    i = close + 1;

    if (!closing && (name == "script" || name == "style")) {
      const auto end = lower(html.substr(i)).find("</" + name);
      i = end == std::string::npos ? html.size() : i + end;
      continue;
    }
    if (name == "br") {
      out.hard_break();
    } else if (is_line_break_tag(name)) {
      out.soft_break();
    }
  }
  return out.finish();
}

}  // namespace fixit::infrastructure::web
