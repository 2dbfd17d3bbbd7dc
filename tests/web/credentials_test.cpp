#include "infrastructure/web/credentials.hpp"
#include "infrastructure/web/http_types.hpp"

#include <gtest/gtest.h>

#include "web/test_support.hpp"

namespace fixit::test {
namespace {

using namespace infrastructure::web;

constexpr std::string_view vector_signature =
    "sha256=6bacf6583d7ff6c7506086524d33949182dbd024b84a00b7f736c59e23762cbb";

TEST(WabaSignature, MatchesTheTestVectorOverTheBytesAsReceived) {
  const auto body = read_fixture("waba/text_wire_escaped.json");
  ASSERT_EQ(body.size(), 598u);
  const WabaSignature signature(app_secret);

  EXPECT_EQ("sha256=" + to_hex(signature.digest(body)), vector_signature);
  EXPECT_TRUE(signature.matches(vector_signature, body));
}

TEST(WabaSignature, AcceptsUpperCaseHexAndPrefix) {
  const auto body = read_fixture("waba/text_wire_escaped.json");
  std::string upper(vector_signature);
  for (auto& c : upper) {
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }

  EXPECT_TRUE(WabaSignature(app_secret).matches(upper, body));
}

TEST(WabaSignature, RejectsAReserialisedBodyAnotherSecretAndAChangedByte) {
  const auto body = read_fixture("waba/text_wire_escaped.json");
  auto changed = body;
  changed[100] ^= 1;

  EXPECT_FALSE(WabaSignature(app_secret).matches(vector_signature, changed));
  EXPECT_FALSE(WabaSignature("another secret").matches(vector_signature, body));
  EXPECT_FALSE(WabaSignature(app_secret).matches(vector_signature, body + "\n"));
}

TEST(WabaSignature, RejectsMalformedHeaders) {
  const auto body = read_fixture("waba/text_wire_escaped.json");
  const WabaSignature signature(app_secret);
  const std::string hex(vector_signature.substr(7));

  for (const std::string& header :
       {std::string{}, hex, "sha1=" + hex, "sha256=" + hex.substr(2), "sha256=" + hex + "00",
        "sha256=zz" + hex.substr(2), "sha256 " + hex}) {
    EXPECT_FALSE(signature.matches(header, body)) << header;
  }
}

TEST(WabaSignature, AgreesWithOpenSslOneShotHmacOnAnyBody) {
  const WabaSignature signature(app_secret);
  for (const std::string& body : {std::string{}, std::string("{}"), std::string(300000, 'x')}) {
    EXPECT_TRUE(signature.matches(sign(body), body));
  }
}

TEST(Credentials, ComparesSecretsWhateverTheirLength) {
  EXPECT_TRUE(constant_time_equal("secret", "secret"));
  EXPECT_FALSE(constant_time_equal("secreT", "secret"));
  EXPECT_FALSE(constant_time_equal("secret1", "secret"));
  EXPECT_FALSE(constant_time_equal("secre", "secret"));
  EXPECT_FALSE(constant_time_equal("", "secret"));
  EXPECT_TRUE(constant_time_equal("", ""));
}

TEST(Credentials, ReadsBasicAuth) {
  const auto credentials = parse_basic_auth(basic_auth("user", "pa:ss word"));

  ASSERT_TRUE(credentials);
  EXPECT_EQ(credentials->user, "user");
  EXPECT_EQ(credentials->password, "pa:ss word");
  EXPECT_TRUE(parse_basic_auth("basic " + basic_auth("a", "b").substr(6)));
  EXPECT_FALSE(parse_basic_auth("Bearer abc"));
  EXPECT_FALSE(parse_basic_auth("Basic !!!!"));
  EXPECT_FALSE(parse_basic_auth("Basic dXNlcg=="));  // "user", no colon
  EXPECT_FALSE(parse_basic_auth("Basic"));
}

TEST(Credentials, MatchesBasicAuthAndBearerTokens) {
  EXPECT_TRUE(basic_auth_matches(basic_auth("u", "p"), "u", "p"));
  EXPECT_FALSE(basic_auth_matches(basic_auth("u", "x"), "u", "p"));
  EXPECT_FALSE(basic_auth_matches(basic_auth("x", "p"), "u", "p"));
  EXPECT_FALSE(basic_auth_matches(basic_auth("", ""), "", ""));
  EXPECT_TRUE(bearer_matches("Bearer tok-1", "tok-1"));
  EXPECT_TRUE(bearer_matches("bearer  tok-1 ", "tok-1"));
  EXPECT_FALSE(bearer_matches("Bearer tok-2", "tok-1"));
  EXPECT_FALSE(bearer_matches("Bearer ", ""));
  EXPECT_FALSE(bearer_matches(basic_auth("u", "tok-1"), "tok-1"));
}

TEST(LogText, KeepsASenderFromForgingLogLinesOrFields) {
  EXPECT_EQ(log_text("new_comment"), "new_comment");
  EXPECT_EQ(log_text("a\nfake line\r\"quoted\""), "a?fake line??quoted?");
  EXPECT_EQ(log_text(std::string(200, 'x'), 10), "xxxxxxxxxx...");
}

}  // namespace
}  // namespace fixit::test
