// A sans-I/O TLS client: OpenSSL driven over a pair of memory BIOs, so that the relay can run
// TLS to a `wss://` upstream over a plain raw TCP connection of its event loop. Ciphertext read
// from the socket goes in through TlsClient::Feed (plaintext comes out); plaintext to send goes
// in through Write and the ciphertext to put on the socket comes out through TakeCiphertext.
// No call blocks, touches a socket or throws.
//
// TlsClientContext owns the SSL_CTX (TLS 1.2 or later, the system CA store, an optional extra CA
// file, the ALPN list). It is immutable after Create and thread-safe: one can be shared by every
// connection of a process. Each TlsClient keeps a shared_ptr to it.
//
// The same engine runs the server side of a connection (record's --tls-cert/--tls-key: TLS
// towards its clients) when its context comes from TlsClientContext::CreateServer: the
// handshake is then answered instead of started, and `host` only names the peer in messages.
//
// TlsClient is one client-side connection. It owns its SSL object and both BIOs. Not
// thread-safe: call it from one thread (the event loop's). After every Start, Feed, Write and
// Shutdown the caller checks has_ciphertext() and sends what TakeCiphertext gives: Feed can
// produce ciphertext too (handshake messages, TLS 1.3 key updates), and a failed handshake
// leaves an alert to send before closing. Memory held is what was fed but not yet decrypted,
// written but not yet taken, and buffers the size of the largest such backlog.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <openssl/types.h>  // SSL_CTX, SSL, BIO (declarations only)

namespace wsr::wire {

class TlsClientContext {
 public:
  struct Options {
    // Verify the peer's chain against the CAs and its name against the host (`--insecure` off).
    bool verify = true;
    // A PEM file of CAs trusted in addition to the system store; empty for none.
    std::string ca_file;
    // Protocols offered through ALPN, most preferred first; empty offers none.
    std::vector<std::string> alpn = {"http/1.1"};
  };

  // The context, or nullptr with *error set to one line naming the cause (e.g. an unreadable
  // ca_file). The system store is OpenSSL's default paths, which honour SSL_CERT_FILE and
  // SSL_CERT_DIR as they are set at the time of this call.
  static std::shared_ptr<TlsClientContext> Create(const Options& options, std::string* error);
  // A server-side context: the certificate chain and private key from PEM files (TLS 1.2 or
  // later, ALPN http/1.1 chosen when offered, client certificates not asked for); nullptr with
  // *error set to one line when a file cannot be read or the key does not match.
  static std::shared_ptr<TlsClientContext> CreateServer(const std::string& cert_file,
                                                        const std::string& key_file,
                                                        std::string* error);

  ~TlsClientContext();
  TlsClientContext(const TlsClientContext&) = delete;
  TlsClientContext& operator=(const TlsClientContext&) = delete;

  bool verify() const { return verify_; }
  bool server() const { return server_; }

 private:
  friend class TlsClient;
  TlsClientContext(SSL_CTX* ctx, bool verify, bool server = false)
      : ctx_(ctx), verify_(verify), server_(server) {}

  SSL_CTX* const ctx_;
  const bool verify_;
  const bool server_;
};

class TlsClient {
 public:
  enum class Status {
    kOk,
    kFailed,  // the connection is unusable; error() says why
    kClosed,  // the peer's close_notify was received (a TCP close without it is not reported)
  };

  // `host` is the upstream's name as in the URL: sent as SNI and, when the context verifies,
  // matched against the certificate (an IP literal, with or without [], is matched as an IP).
  // REQUIRES: ctx != nullptr.
  TlsClient(std::shared_ptr<TlsClientContext> ctx, std::string host);
  ~TlsClient();
  TlsClient(const TlsClient&) = delete;
  TlsClient& operator=(const TlsClient&) = delete;

  // Starts the handshake: the ClientHello becomes available through TakeCiphertext. Feed and
  // Write start it themselves if needed; calling it twice is harmless.
  void Start();

  // Ciphertext read from the socket. Decrypted application data is appended to *plaintext
  // (also when the result is kClosed or kFailed: what was decrypted before the close or the
  // error). Once kFailed or kClosed, further calls return the same and ignore their input.
  Status Feed(const uint8_t* data, size_t len, std::string* plaintext);

  // Application data to send: kept inside until the handshake completes, then encrypted in
  // order. kFailed if the connection failed or Shutdown was called.
  Status Write(std::string_view plaintext);

  // Appends the ciphertext waiting to be sent to *out; returns the number of bytes appended.
  size_t TakeCiphertext(std::string* out);
  bool has_ciphertext() const;

  // Sends close_notify after anything written before (if the handshake is still running, once
  // it completes). Writes are refused afterwards; Feed keeps decrypting until the peer's
  // close_notify. OpenSSL does not answer a peer's close_notify by itself: call this to.
  void Shutdown();

  bool handshake_done() const { return handshake_done_; }
  bool failed() const { return failed_; }

  // One line naming the cause of kFailed, e.g. "certificate verify failed: unable to get local
  // issuer certificate (upstream localhost)"; empty while nothing failed.
  const std::string& error() const { return error_; }

  // For logs, once the handshake is done, e.g. "TLSv1.3 TLS_AES_128_GCM_SHA256, CN=localhost,
  // issuer CN=wsreplay test CA, ALPN http/1.1" (", NOT VERIFIED: <why>" appended when
  // verification is off and would have failed). Empty before.
  std::string peer_summary() const;

  // The protocol the server selected through ALPN; empty if none (or before the handshake).
  std::string alpn() const;

 private:
  void EnsureStarted();
  void ContinueHandshake();
  Status ReadAll(std::string* plaintext);
  void FlushPending();
  void Fail(std::string_view stage, int ssl_error);
  void FailWith(std::string message);

  std::shared_ptr<TlsClientContext> ctx_;
  std::string host_;
  std::string peer_;  // names the peer in error messages: "upstream HOST", or `host` (server)
  SSL* ssl_ = nullptr;
  BIO* network_in_ = nullptr;   // owned by ssl_: ciphertext fed, read by OpenSSL
  BIO* network_out_ = nullptr;  // owned by ssl_: ciphertext OpenSSL produced, to be taken
  std::string pending_;         // plaintext written before it could be encrypted
  std::string error_;
  bool started_ = false;
  bool handshake_done_ = false;
  bool failed_ = false;
  bool closed_ = false;              // peer's close_notify received
  bool shutdown_requested_ = false;  // Shutdown called
  bool shutdown_sent_ = false;       // our close_notify produced
};

}  // namespace wsr::wire
