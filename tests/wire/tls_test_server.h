// TlsTestServer: the server side of a TLS connection for tests of wire::TlsClient, in process
// and without sockets. OpenSSL in accept state over its own memory BIOs: the test carries the
// client's ciphertext to Feed and what TakeCiphertext returns back to the client. It records
// the ALPN list the client offered (and selects "http/1.1" if offered), keeps everything it
// decrypted in received(), and echoes it back when echo is on. Header-only (tests/wire builds
// only *_test.cc files). Not thread-safe; one per test.
#pragma once

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <string>
#include <string_view>
#include <vector>

namespace wsr::wire::testing {

class TlsTestServer {
 public:
  // max_version: 0 for OpenSSL's highest, or e.g. TLS1_2_VERSION.
  TlsTestServer(const std::string& cert_file, const std::string& key_file, int max_version = 0) {
    ctx_ = SSL_CTX_new(TLS_server_method());
    if (SSL_CTX_use_certificate_chain_file(ctx_, cert_file.c_str()) != 1 ||
        SSL_CTX_use_PrivateKey_file(ctx_, key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
      Fail("server certificate");
    }
    if (max_version != 0) SSL_CTX_set_max_proto_version(ctx_, max_version);
    SSL_CTX_set_alpn_select_cb(ctx_, &TlsTestServer::SelectAlpn, this);
    ssl_ = SSL_new(ctx_);
    SSL_set_bio(ssl_, BIO_new(BIO_s_mem()), BIO_new(BIO_s_mem()));
    SSL_set_accept_state(ssl_);
  }
  ~TlsTestServer() {
    SSL_free(ssl_);
    SSL_CTX_free(ctx_);
  }
  TlsTestServer(const TlsTestServer&) = delete;
  TlsTestServer& operator=(const TlsTestServer&) = delete;

  void set_echo(bool echo) { echo_ = echo; }

  // Ciphertext from the client: advances the handshake, decrypts, echoes.
  void Feed(std::string_view ciphertext) {
    if (!ciphertext.empty()) BIO_write(SSL_get_rbio(ssl_), ciphertext.data(), ciphertext.size());
    if (failed_ || got_close_notify_) return;
    if (!SSL_is_init_finished(ssl_)) {
      int rc = SSL_do_handshake(ssl_);
      if (rc != 1) {
        int e = SSL_get_error(ssl_, rc);
        if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) Fail("handshake");
        return;
      }
    }
    char buf[16384];
    for (;;) {
      size_t n = 0;
      int rc = SSL_read_ex(ssl_, buf, sizeof buf, &n);
      if (rc == 1) {
        received_.append(buf, n);
        if (echo_) Write(std::string_view(buf, n));
        continue;
      }
      int e = SSL_get_error(ssl_, rc);
      if (e == SSL_ERROR_ZERO_RETURN) got_close_notify_ = true;
      if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_ZERO_RETURN) Fail("read");
      return;
    }
  }

  void Write(std::string_view plaintext) {
    size_t n = 0;
    if (SSL_write_ex(ssl_, plaintext.data(), plaintext.size(), &n) != 1) Fail("write");
  }

  void Shutdown() { SSL_shutdown(ssl_); }

  std::string TakeCiphertext() {
    BIO* out = SSL_get_wbio(ssl_);
    std::string bytes(BIO_ctrl_pending(out), '\0');
    if (!bytes.empty()) BIO_read(out, bytes.data(), static_cast<int>(bytes.size()));
    return bytes;
  }

  bool handshake_done() const { return SSL_is_init_finished(ssl_); }
  bool failed() const { return failed_; }
  const std::string& error() const { return error_; }
  bool got_close_notify() const { return got_close_notify_; }
  const std::string& received() const { return received_; }
  const std::vector<std::string>& offered_alpn() const { return offered_alpn_; }
  std::string version() const { return SSL_get_version(ssl_); }

 private:
  static int SelectAlpn(SSL*, const unsigned char** out, unsigned char* outlen,
                        const unsigned char* in, unsigned int inlen, void* arg) {
    auto* self = static_cast<TlsTestServer*>(arg);
    for (unsigned int i = 0; i < inlen && i + 1 + in[i] <= inlen; i += 1 + in[i]) {
      self->offered_alpn_.emplace_back(reinterpret_cast<const char*>(in + i + 1), in[i]);
    }
    static const unsigned char kHttp11[] = "\x08http/1.1";
    unsigned char* selected = nullptr;
    if (SSL_select_next_proto(&selected, outlen, kHttp11, sizeof kHttp11 - 1, in, inlen) ==
        OPENSSL_NPN_NEGOTIATED) {
      *out = selected;
      return SSL_TLSEXT_ERR_OK;
    }
    return SSL_TLSEXT_ERR_NOACK;
  }

  void Fail(const char* what) {
    failed_ = true;
    unsigned long e = ERR_get_error();
    const char* reason = e != 0 ? ERR_reason_error_string(e) : nullptr;
    error_ = std::string(what) + ": " + (reason != nullptr ? reason : "?");
    ERR_clear_error();
  }

  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
  bool echo_ = true;
  bool failed_ = false;
  bool got_close_notify_ = false;
  std::string error_;
  std::string received_;
  std::vector<std::string> offered_alpn_;
};

}  // namespace wsr::wire::testing
