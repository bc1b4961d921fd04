#include "wire/tls_client.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <utility>

namespace wsr::wire {
namespace {

// Largest plaintext of one TLS record: what one SSL_read_ex can return.
constexpr size_t kMaxRecordPlaintext = 16384;
// BIO calls take int-sized lengths underneath; feed larger buffers in pieces.
constexpr size_t kMaxBioChunk = size_t{1} << 30;

// Empties this thread's OpenSSL error queue and returns the reason of its first (oldest) entry,
// the one naming the cause; empty if the queue was empty.
std::string DrainErrorQueue() {
  unsigned long first = 0;
  while (unsigned long e = ERR_get_error()) {
    if (first == 0) first = e;
  }
  if (first == 0) return "";
  if (const char* reason = ERR_reason_error_string(first)) return reason;
  char buf[256];
  ERR_error_string_n(first, buf, sizeof buf);
  return buf;
}

bool IsRetry(int ssl_error) {
  return ssl_error == SSL_ERROR_WANT_READ || ssl_error == SSL_ERROR_WANT_WRITE;
}

// "CN=<common name>", or the whole name in OpenSSL's one-line form if it has no CN.
std::string NameSummary(const X509_NAME* name) {
  if (name == nullptr) return "(none)";
  int index = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
  if (index >= 0) {
    const ASN1_STRING* cn = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, index));
    unsigned char* utf8 = nullptr;
    int len = ASN1_STRING_to_UTF8(&utf8, cn);
    if (len >= 0) {
      std::string out = "CN=" + std::string(reinterpret_cast<char*>(utf8), len);
      OPENSSL_free(utf8);
      return out;
    }
  }
  char buf[256];
  X509_NAME_oneline(name, buf, sizeof buf);
  return buf;
}

// A context with what both roles share: TLS 1.2 or later, no renegotiation, no compression,
// and a write that OpenSSL could not finish retried from a different buffer (pending_).
// nullptr with *error set if OpenSSL cannot make one.
SSL_CTX* NewContext(const SSL_METHOD* method, const char* role, std::string* error) {
  ERR_clear_error();
  SSL_CTX* ctx = SSL_CTX_new(method);
  if (ctx == nullptr) {
    *error = std::string("cannot create a TLS ") + role + " context: " + DrainErrorQueue();
    return nullptr;
  }
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION);
  SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  return ctx;
}

// Frees `ctx` and sets *error to `message` and OpenSSL's reason, if it has one.
std::shared_ptr<TlsClientContext> FailContext(SSL_CTX* ctx, std::string message,
                                              std::string* error) {
  std::string reason = DrainErrorQueue();
  *error = reason.empty() ? std::move(message) : message + ": " + reason;
  SSL_CTX_free(ctx);
  return nullptr;
}

}  // namespace

std::shared_ptr<TlsClientContext> TlsClientContext::Create(const Options& options,
                                                           std::string* error) {
  SSL_CTX* ctx = NewContext(TLS_client_method(), "client", error);
  if (ctx == nullptr) return nullptr;
  auto fail = [&](std::string message) { return FailContext(ctx, std::move(message), error); };
  SSL_CTX_set_verify(ctx, options.verify ? SSL_VERIFY_PEER : SSL_VERIFY_NONE, nullptr);
  if (SSL_CTX_set_default_verify_paths(ctx) != 1) {
    return fail("cannot load the system CA store");
  }
  if (!options.ca_file.empty() &&
      SSL_CTX_load_verify_locations(ctx, options.ca_file.c_str(), nullptr) != 1) {
    return fail("cannot load CA file " + options.ca_file);
  }
  if (!options.alpn.empty()) {
    std::string wire;  // RFC 7301: each name preceded by its length in one byte
    for (const std::string& protocol : options.alpn) {
      if (protocol.empty() || protocol.size() > 255) {
        return fail("invalid ALPN protocol name \"" + protocol + "\"");
      }
      wire.push_back(static_cast<char>(protocol.size()));
      wire += protocol;
    }
    // Returns 0 on success, unlike most of OpenSSL.
    if (SSL_CTX_set_alpn_protos(ctx, reinterpret_cast<const unsigned char*>(wire.data()),
                                static_cast<unsigned int>(wire.size())) != 0) {
      return fail("cannot set the ALPN protocols");
    }
  }
  return std::shared_ptr<TlsClientContext>(new TlsClientContext(ctx, options.verify));
}

namespace {
int SelectHttp11(SSL*, const unsigned char** out, unsigned char* outlen, const unsigned char* in,
                 unsigned int inlen, void*) {
  static const unsigned char kHttp11[] = "\x08http/1.1";
  unsigned char* selected = nullptr;
  if (SSL_select_next_proto(&selected, outlen, kHttp11, sizeof kHttp11 - 1, in, inlen) !=
      OPENSSL_NPN_NEGOTIATED) {
    return SSL_TLSEXT_ERR_NOACK;
  }
  *out = selected;
  return SSL_TLSEXT_ERR_OK;
}
}  // namespace

std::shared_ptr<TlsClientContext> TlsClientContext::CreateServer(const std::string& cert_file,
                                                                 const std::string& key_file,
                                                                 std::string* error) {
  SSL_CTX* ctx = NewContext(TLS_server_method(), "server", error);
  if (ctx == nullptr) return nullptr;
  auto fail = [&](std::string message) { return FailContext(ctx, std::move(message), error); };
  if (SSL_CTX_use_certificate_chain_file(ctx, cert_file.c_str()) != 1) {
    return fail("cannot use the TLS certificate '" + cert_file + "' (is it PEM?)");
  }
  const std::string mismatch =
      "the TLS key '" + key_file + "' does not match the certificate '" + cert_file + "'";
  if (SSL_CTX_use_PrivateKey_file(ctx, key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
    if (ERR_GET_REASON(ERR_peek_last_error()) == X509_R_KEY_VALUES_MISMATCH) return fail(mismatch);
    return fail("cannot use the TLS key '" + key_file + "' (is it PEM?)");
  }
  if (SSL_CTX_check_private_key(ctx) != 1) {
    return fail(mismatch);
  }
  SSL_CTX_set_alpn_select_cb(ctx, &SelectHttp11, nullptr);
  return std::shared_ptr<TlsClientContext>(new TlsClientContext(ctx, false, true));
}

TlsClientContext::~TlsClientContext() { SSL_CTX_free(ctx_); }

TlsClient::TlsClient(std::shared_ptr<TlsClientContext> ctx, std::string host)
    : ctx_(std::move(ctx)), host_(std::move(host)) {
  peer_ = ctx_ != nullptr && ctx_->server_ ? host_ : "upstream " + host_;
  ERR_clear_error();
  if (ctx_ == nullptr) {
    FailWith("TLS client created without a context (upstream " + host_ + ")");
    return;
  }
  ssl_ = SSL_new(ctx_->ctx_);
  network_in_ = BIO_new(BIO_s_mem());
  network_out_ = BIO_new(BIO_s_mem());
  if (ssl_ == nullptr || network_in_ == nullptr || network_out_ == nullptr) {
    BIO_free(network_in_);
    BIO_free(network_out_);
    network_in_ = network_out_ = nullptr;
    FailWith("cannot create a TLS connection: " + DrainErrorQueue() + " (" + peer_ + ")");
    return;
  }
  SSL_set_bio(ssl_, network_in_, network_out_);  // ssl_ owns both from here
  if (ctx_->server_) return;                     // the peer's name is neither sent nor verified

  // The name as the certificate would carry it: no IPv6 brackets, no trailing root dot.
  std::string name = host_;
  if (name.size() >= 2 && name.front() == '[' && name.back() == ']') {
    name = name.substr(1, name.size() - 2);
  }
  if (!name.empty() && name.back() == '.') name.pop_back();
  if (name.empty()) {
    if (ctx_->verify_) FailWith("no upstream host name to verify the certificate against");
    return;
  }
  X509_VERIFY_PARAM* param = SSL_get0_param(ssl_);
  if (X509_VERIFY_PARAM_set1_ip_asc(param, name.c_str()) == 1) {
    return;  // an IP literal: checked against the IP SANs, and never sent as SNI (RFC 6066)
  }
  ERR_clear_error();
  if (SSL_set_tlsext_host_name(ssl_, name.c_str()) != 1 || SSL_set1_host(ssl_, name.c_str()) != 1) {
    FailWith("invalid upstream host name: " + DrainErrorQueue() + " (" + peer_ + ")");
    return;
  }
  X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
}

TlsClient::~TlsClient() { SSL_free(ssl_); }

void TlsClient::Start() { EnsureStarted(); }

void TlsClient::EnsureStarted() {
  if (started_ || failed_) return;
  started_ = true;
  if (ctx_->server_) {
    SSL_set_accept_state(ssl_);
  } else {
    SSL_set_connect_state(ssl_);
  }
  ContinueHandshake();
}

void TlsClient::ContinueHandshake() {
  ERR_clear_error();
  int rc = SSL_do_handshake(ssl_);
  if (rc == 1) {
    handshake_done_ = true;
    FlushPending();
    return;
  }
  int ssl_error = SSL_get_error(ssl_, rc);
  if (!IsRetry(ssl_error)) Fail("handshake", ssl_error);
}

TlsClient::Status TlsClient::Feed(const uint8_t* data, size_t len, std::string* plaintext) {
  if (failed_) return Status::kFailed;
  if (closed_) return Status::kClosed;
  EnsureStarted();
  if (failed_) return Status::kFailed;
  while (len > 0) {
    size_t written = 0;
    if (BIO_write_ex(network_in_, data, std::min(len, kMaxBioChunk), &written) != 1) {
      FailWith("cannot buffer received TLS data: " + DrainErrorQueue() + " (" + peer_ + ")");
      return Status::kFailed;
    }
    data += written;
    len -= written;
  }
  if (!handshake_done_) {
    ContinueHandshake();
    if (failed_) return Status::kFailed;
    if (!handshake_done_) return Status::kOk;
  }
  Status status = ReadAll(plaintext);
  if (status == Status::kOk && !pending_.empty()) {
    FlushPending();  // a write OpenSSL could not finish may go through now
    if (failed_) return Status::kFailed;
  }
  return status;
}

TlsClient::Status TlsClient::ReadAll(std::string* plaintext) {
  for (;;) {
    size_t old_size = plaintext->size();
    plaintext->resize(old_size + kMaxRecordPlaintext);
    size_t n = 0;
    ERR_clear_error();
    int rc = SSL_read_ex(ssl_, plaintext->data() + old_size, kMaxRecordPlaintext, &n);
    plaintext->resize(old_size + (rc == 1 ? n : 0));
    if (rc == 1) continue;
    int ssl_error = SSL_get_error(ssl_, rc);
    if (IsRetry(ssl_error)) return Status::kOk;
    if (ssl_error == SSL_ERROR_ZERO_RETURN) {
      closed_ = true;
      return Status::kClosed;
    }
    Fail("read", ssl_error);
    return Status::kFailed;
  }
}

TlsClient::Status TlsClient::Write(std::string_view plaintext) {
  if (shutdown_requested_) return Status::kFailed;
  EnsureStarted();
  if (failed_) return Status::kFailed;
  if (!handshake_done_ || !pending_.empty()) {
    pending_.append(plaintext);  // keeps the order behind what is already waiting
    if (handshake_done_) FlushPending();
    return failed_ ? Status::kFailed : Status::kOk;
  }
  while (!plaintext.empty()) {
    size_t n = 0;
    ERR_clear_error();
    int rc = SSL_write_ex(ssl_, plaintext.data(), plaintext.size(), &n);
    if (rc == 1) {
      plaintext.remove_prefix(n);
      continue;
    }
    int ssl_error = SSL_get_error(ssl_, rc);
    if (IsRetry(ssl_error)) {
      pending_.append(plaintext);  // retried by the next Feed
      return Status::kOk;
    }
    Fail("write", ssl_error);
    return Status::kFailed;
  }
  return Status::kOk;
}

void TlsClient::FlushPending() {
  size_t done = 0;
  while (done < pending_.size()) {
    size_t n = 0;
    ERR_clear_error();
    int rc = SSL_write_ex(ssl_, pending_.data() + done, pending_.size() - done, &n);
    if (rc == 1) {
      done += n;
      continue;
    }
    int ssl_error = SSL_get_error(ssl_, rc);
    if (!IsRetry(ssl_error)) {
      Fail("write", ssl_error);
      return;
    }
    break;
  }
  pending_.erase(0, done);
  if (pending_.empty()) {
    // Data written before the handshake is a one-off: do not keep its buffer for the
    // connection's lifetime.
    if (pending_.capacity() > kMaxRecordPlaintext) std::string().swap(pending_);
    if (shutdown_requested_ && !shutdown_sent_) Shutdown();
  }
}

size_t TlsClient::TakeCiphertext(std::string* out) {
  size_t n = network_out_ == nullptr ? 0 : BIO_ctrl_pending(network_out_);
  if (n == 0) return 0;
  size_t old_size = out->size();
  out->resize(old_size + n);
  size_t got = 0;
  if (BIO_read_ex(network_out_, out->data() + old_size, n, &got) != 1) got = 0;
  out->resize(old_size + got);
  return got;
}

bool TlsClient::has_ciphertext() const {
  return network_out_ != nullptr && BIO_ctrl_pending(network_out_) > 0;
}

void TlsClient::Shutdown() {
  shutdown_requested_ = true;
  // Before the handshake (or with data still waiting) FlushPending calls back here when done.
  if (shutdown_sent_ || failed_ || !handshake_done_ || !pending_.empty()) return;
  shutdown_sent_ = true;
  ERR_clear_error();
  int rc = SSL_shutdown(ssl_);  // 0: close_notify sent, the peer's not yet received
  if (rc < 0) {
    int ssl_error = SSL_get_error(ssl_, rc);
    if (!IsRetry(ssl_error)) Fail("shutdown", ssl_error);
  }
}

std::string TlsClient::alpn() const {
  if (!handshake_done_) return "";
  const unsigned char* data = nullptr;
  unsigned int len = 0;
  SSL_get0_alpn_selected(ssl_, &data, &len);
  return std::string(reinterpret_cast<const char*>(data), data == nullptr ? 0 : len);
}

std::string TlsClient::peer_summary() const {
  if (!handshake_done_) return "";
  std::string out = SSL_get_version(ssl_);
  if (const SSL_CIPHER* cipher = SSL_get_current_cipher(ssl_)) {
    out += ' ';
    out += SSL_CIPHER_get_name(cipher);
  }
  if (X509* cert = SSL_get0_peer_certificate(ssl_)) {
    out += ", " + NameSummary(X509_get_subject_name(cert));
    out += ", issuer " + NameSummary(X509_get_issuer_name(cert));
  } else {
    out += ", no certificate";
  }
  std::string protocol = alpn();
  if (!protocol.empty()) out += ", ALPN " + protocol;
  long verify_result = SSL_get_verify_result(ssl_);
  if (!ctx_->verify_ && verify_result != X509_V_OK) {
    out += ", NOT VERIFIED: ";
    out += X509_verify_cert_error_string(verify_result);
  }
  return out;
}

void TlsClient::Fail(std::string_view stage, int ssl_error) {
  long verify_result = SSL_get_verify_result(ssl_);
  if (stage == "handshake" && ctx_->verify_ && verify_result != X509_V_OK) {
    ERR_clear_error();
    FailWith("certificate verify failed: " +
             std::string(X509_verify_cert_error_string(verify_result)) + " (" + peer_ + ")");
    return;
  }
  std::string reason = DrainErrorQueue();
  if (reason.empty()) {
    reason = ssl_error == SSL_ERROR_SYSCALL ? "unexpected end of stream"
                                            : "SSL_get_error " + std::to_string(ssl_error);
  }
  FailWith("TLS " + std::string(stage) + " failed: " + reason + " (" + peer_ + ")");
}

void TlsClient::FailWith(std::string message) {
  failed_ = true;
  error_ = std::move(message);
  ERR_clear_error();
}

}  // namespace wsr::wire
