// The HTTPS path: the sandbox serves TLS with a certificate from a throwaway CA
// made for this test run; the client must refuse it unless it trusts that CA.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "application/errors.hpp"
#include "infrastructure/outbound/http_client.hpp"
#include "infrastructure/outbound/whatsapp_sender.hpp"
#include "outbound/support.hpp"

namespace fixit::testing {
namespace {

using infrastructure::outbound::HttpClient;
using infrastructure::outbound::HttpRequest;
using infrastructure::outbound::TransportError;
using ::testing::HasSubstr;

struct KeyFree {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
struct CertFree {
  void operator()(X509* cert) const { X509_free(cert); }
};
using Key = std::unique_ptr<EVP_PKEY, KeyFree>;
using Cert = std::unique_ptr<X509, CertFree>;

void add_extension(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX context;
  X509V3_set_ctx_nodb(&context);
  X509V3_set_ctx(&context, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* extension = X509V3_EXT_conf_nid(nullptr, &context, nid, value);
  ASSERT_NE(extension, nullptr) << "extension " << value;
  X509_add_ext(cert, extension, -1);
  X509_EXTENSION_free(extension);
}

// A certificate for `key` named `common_name`, signed by `issuer` (itself when null).
// A server certificate (not `is_ca`) is for the DNS name `common_name`.
Cert make_certificate(EVP_PKEY* key, const char* common_name, X509* issuer, EVP_PKEY* issuer_key,
                      bool is_ca, long serial) {
  Cert cert(X509_new());
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), serial);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 24 * 3600);
  X509_set_pubkey(cert.get(), key);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(common_name), -1, -1, 0);
  X509* signer = issuer != nullptr ? issuer : cert.get();
  X509_set_issuer_name(cert.get(), X509_get_subject_name(signer));
  add_extension(cert.get(), signer, NID_subject_key_identifier, "hash");
  if (is_ca) {
    add_extension(cert.get(), signer, NID_basic_constraints, "critical,CA:TRUE");
    add_extension(cert.get(), signer, NID_key_usage, "critical,keyCertSign,cRLSign");
  } else {
    add_extension(cert.get(), signer, NID_basic_constraints, "critical,CA:FALSE");
    add_extension(cert.get(), signer, NID_authority_key_identifier, "keyid:always");
    add_extension(cert.get(), signer, NID_ext_key_usage, "serverAuth");
    const auto dns_name = std::string("DNS:") + common_name;
    add_extension(cert.get(), signer, NID_subject_alt_name, dns_name.c_str());
  }
  X509_sign(cert.get(), issuer_key, EVP_sha256());
  return cert;
}

void write_pem(const std::filesystem::path& path, X509* cert, EVP_PKEY* key) {
  FILE* file = std::fopen(path.c_str(), "wb");
  ASSERT_NE(file, nullptr) << path;
  if (cert != nullptr) {
    PEM_write_X509(file, cert);
  }
  if (key != nullptr) {
    PEM_write_PrivateKey(file, key, nullptr, nullptr, 0, nullptr, nullptr);
  }
  std::fclose(file);
}

// A throwaway CA and server certificates it signed, in a temp dir: one for
// "localhost", one for another DNS name (same key).
struct TestPki {
  std::filesystem::path dir;
  std::filesystem::path ca_file;
  std::filesystem::path cert_file;
  std::filesystem::path other_host_cert_file;
  std::filesystem::path key_file;

  TestPki() {
    std::string pattern = (std::filesystem::temp_directory_path() / "fixit-tls-XXXXXX").string();
    dir = ::mkdtemp(pattern.data());
    ca_file = dir / "ca.pem";
    cert_file = dir / "server.pem";
    other_host_cert_file = dir / "other-host.pem";
    key_file = dir / "server-key.pem";

    Key ca_key(EVP_EC_gen("P-256"));
    Key server_key(EVP_EC_gen("P-256"));
    const auto ca = make_certificate(ca_key.get(), "fixit test CA", nullptr, ca_key.get(), true, 1);
    const auto server =
        make_certificate(server_key.get(), "localhost", ca.get(), ca_key.get(), false, 2);
    write_pem(ca_file, ca.get(), nullptr);
    const auto other_host =
        make_certificate(server_key.get(), "other.invalid", ca.get(), ca_key.get(), false, 3);
    write_pem(cert_file, server.get(), nullptr);
    write_pem(other_host_cert_file, other_host.get(), nullptr);
    write_pem(key_file, nullptr, server_key.get());
  }

  ~TestPki() {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
};

class HttpsTest : public SandboxTest {
 protected:
  infrastructure::sandbox::SandboxServerOptions server_options() override {
    infrastructure::sandbox::SandboxServerOptions options;
    options.tls_cert_file = pki_.cert_file.string();
    options.tls_key_file = pki_.key_file.string();
    return options;
  }

  infrastructure::outbound::HttpClientOptions trusting_options() {
    auto options = client_options();
    options.ca_file = pki_.ca_file.string();
    return options;
  }

  TransportError failing_get(HttpClient& client, const std::string& url) {
    try {
      HttpRequest request;
      request.url = url;
      run(io_, client.send(request));
    } catch (const TransportError& e) {
      return e;
    }
    ADD_FAILURE() << "the request did not fail";
    return TransportError(TransportError::Kind::protocol, "none");
  }

  TestPki pki_;
};

TEST_F(HttpsTest, RefusesAServerItsTrustStoreDoesNotVouchFor) {
  // http_ trusts the system store only, where the test CA is not.
  const auto error = failing_get(*http_, base_url() + "/_sandbox/health");

  EXPECT_EQ(error.kind(), TransportError::Kind::tls);
  EXPECT_THAT(error.what(), HasSubstr("certificate"));
  EXPECT_EQ(http_->idle_connections(), 0u);
}

TEST_F(HttpsTest, AcceptsTheServerWhenTheCaFileIsConfigured) {
  HttpClient trusting(io_.get_executor(), trusting_options());
  HttpRequest request;
  request.url = base_url() + "/_sandbox/health";

  const auto response = run(io_, trusting.send(request));

  EXPECT_EQ(response.status, 200u);
  EXPECT_EQ(response.body, R"({"ok":true})");
  trusting.close();
}

TEST_F(HttpsTest, RefusesACertificateMadeForAnotherName) {
  HttpClient trusting(io_.get_executor(), trusting_options());
  // The certificate names localhost, not the address.
  const auto error = failing_get(
      trusting, "https://127.0.0.1:" + std::to_string(server_->port()) + "/_sandbox/health");

  EXPECT_EQ(error.kind(), TransportError::Kind::tls);
  trusting.close();
}

// The sandbox serves a certificate the trusted CA signed, but for another host.
class HttpsWithAnotherHostsCertificateTest : public HttpsTest {
 protected:
  infrastructure::sandbox::SandboxServerOptions server_options() override {
    auto options = HttpsTest::server_options();
    options.tls_cert_file = pki_.other_host_cert_file.string();
    return options;
  }
};

TEST_F(HttpsWithAnotherHostsCertificateTest, RefusesACertificateMadeForAnotherDnsName) {
  HttpClient trusting(io_.get_executor(), trusting_options());
  // Reached as https://localhost, the server shows a certificate for other.invalid.
  const auto error = failing_get(trusting, base_url() + "/_sandbox/health");

  EXPECT_EQ(error.kind(), TransportError::Kind::tls);
  EXPECT_EQ(trusting.idle_connections(), 0u);
  trusting.close();
}

TEST_F(HttpsTest, SendsAWhatsAppMessageOverTls) {
  HttpClient trusting(io_.get_executor(), trusting_options());
  infrastructure::outbound::WhatsAppConfig config;
  config.api_url = base_url() + "/v21.0";
  config.phone_number_id = phone_number_id;
  config.access_token = waba_token;
  infrastructure::outbound::WhatsAppSender sender(trusting, config);

  const auto sent = run(io_, sender.send_text("79161234567", "Здравствуйте!"));

  EXPECT_EQ(sent.message_ids.size(), 1u);
  trusting.close();
}

}  // namespace
}  // namespace fixit::testing
