#pragma once

#include <string>
#include <string_view>

namespace fixit::infrastructure::web {

// Helpdesk comments are HTML; a messenger shows plain text. Tags are dropped
// (with the content of <script> and <style>), <br> and block elements (<p>,
// <div>, <li>, headings, table rows) become line breaks, runs of white space
// collapse as a browser would show them, and character references (&laquo;,
// &nbsp;, &amp;, &#8470;, &#x2116; ...) are decoded to UTF-8; an unknown one
// stays as written.
std::string html_to_text(std::string_view html);

// Appends the UTF-8 encoding of a code point (nothing for invalid ones).
void append_utf8(std::string& out, char32_t code_point);

}  // namespace fixit::infrastructure::web
