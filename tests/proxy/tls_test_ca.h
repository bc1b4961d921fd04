// TestCa: a throw-away certificate authority and a server certificate it signed for
// localhost and 127.0.0.1, made with the `openssl` command line in a directory the caller
// owns (a TempDir). For tests that need a wss upstream the proxy must *verify* (trusting the
// CA through SSL_CERT_FILE / NODE_EXTRA_CA_CERTS) rather than skip verification.
// Plain data plus one free function; no shared state.
#pragma once

#include <string>

namespace wsr::testing {

struct TestCa {
  std::string ca_cert;      // PEM: the CA certificate (what a client trusts)
  std::string server_cert;  // PEM: CN=localhost, SAN DNS:localhost, IP:127.0.0.1
  std::string server_key;   // PEM: its private key
};

// Writes the CA and the server certificate into dir. Returns false with *error holding
// openssl's stderr when a step fails.
bool MakeTestCa(const std::string& dir, TestCa* out, std::string* error);

}  // namespace wsr::testing
