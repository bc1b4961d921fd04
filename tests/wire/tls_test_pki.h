// TlsTestPki: a throwaway PKI for the TLS tests, made with the `openssl` command-line tool in a
// TempDir that is removed with the object. One EC (P-256) test CA, "wsreplay test CA", and leaf
// certificates it signed: for localhost + 127.0.0.1, for other.test, and an expired one for
// localhost. Header-only (tests/wire builds only *_test.cc files). Not thread-safe; create one
// per test suite (SetUpTestSuite) and only read it afterwards.
#pragma once

#include <cstdlib>
#include <memory>
#include <string>

#include "tests/support/temp_dir.h"

namespace wsr::wire::testing {

class TlsTestPki {
 public:
  // The PKI, or nullptr with *error holding the failed command and its output.
  static std::unique_ptr<TlsTestPki> Create(std::string* error) {
    std::unique_ptr<TlsTestPki> pki(new TlsTestPki);
    return pki->Generate(error) ? std::move(pki) : nullptr;
  }

  std::string ca_cert() const { return dir_.File("ca.pem"); }
  // Signed by the CA: subjectAltName DNS:localhost, IP:127.0.0.1 (CN=localhost).
  std::string localhost_cert() const { return dir_.File("localhost.pem"); }
  std::string localhost_key() const { return dir_.File("localhost.key"); }
  // Signed by the CA: subjectAltName DNS:other.test (CN=other.test).
  std::string other_cert() const { return dir_.File("other.pem"); }
  std::string other_key() const { return dir_.File("other.key"); }
  // Signed by the CA for localhost, notAfter a day before notBefore (now): expired.
  std::string expired_cert() const { return dir_.File("expired.pem"); }
  std::string expired_key() const { return localhost_key(); }
  std::string dir() const { return dir_.path(); }

 private:
  TlsTestPki() = default;

  bool Run(const std::string& command, std::string* error) {
    std::string log = dir_.File("openssl.log");
    std::string line = "cd '" + dir_.path() + "' && " + command + " >'" + log + "' 2>&1";
    if (std::system(line.c_str()) == 0) return true;
    *error = "failed: " + command + "\n" + wsr::testing::ReadFile(log);
    return false;
  }

  bool Leaf(const std::string& name, const std::string& cn, const std::string& san,
            const std::string& key, const std::string& days, std::string* error) {
    wsr::testing::WriteFile(
        dir_.File(name + ".ext"),
        "subjectAltName=" + san + "\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n");
    return Run("openssl req -new -key " + key + " -out " + name + ".csr -subj /CN=" + cn, error) &&
           Run("openssl x509 -req -in " + name + ".csr -CA ca.pem -CAkey ca.key -CAcreateserial" +
                   " -days " + days + " -extfile " + name + ".ext -out " + name + ".pem",
               error);
  }

  bool Generate(std::string* error) {
    const std::string ec = " -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";
    wsr::testing::WriteFile(dir_.File("ca.cnf"),
                            "[req]\ndistinguished_name=dn\nprompt=no\nx509_extensions=v3_ca\n"
                            "[dn]\nCN=wsreplay test CA\n"
                            "[v3_ca]\nbasicConstraints=critical,CA:TRUE\n"
                            "keyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\n");
    return Run("openssl req -x509 -new" + ec + " -keyout ca.key -out ca.pem -days 2 -config ca.cnf",
               error) &&
           Run("openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out localhost.key",
               error) &&
           Run("openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out other.key",
               error) &&
           Leaf("localhost", "localhost", "DNS:localhost,IP:127.0.0.1", "localhost.key", "2",
                error) &&
           Leaf("other", "other.test", "DNS:other.test", "other.key", "2", error) &&
           Leaf("expired", "localhost", "DNS:localhost,IP:127.0.0.1", "localhost.key", "-1", error);
  }

  wsr::testing::TempDir dir_;
};

}  // namespace wsr::wire::testing
