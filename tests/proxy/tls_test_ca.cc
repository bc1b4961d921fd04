#include "tests/proxy/tls_test_ca.h"

#include <vector>

#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace wsr::testing {

bool MakeTestCa(const std::string& dir, TestCa* out, std::string* error) {
  const std::string ca_key = dir + "/ca.key", csr = dir + "/server.csr", ext = dir + "/server.ext";
  out->ca_cert = dir + "/ca.pem";
  out->server_cert = dir + "/server.pem";
  out->server_key = dir + "/server.key";
  WriteFile(ext,
            "basicConstraints=CA:FALSE\n"
            "keyUsage=digitalSignature,keyEncipherment\n"
            "extendedKeyUsage=serverAuth\n"
            "subjectAltName=DNS:localhost,IP:127.0.0.1\n");
  const std::vector<std::vector<std::string>> steps = {
      {"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", ca_key, "-out",
       out->ca_cert, "-days", "2", "-subj", "/CN=wsreplay test CA", "-addext",
       "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"},
      {"openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", out->server_key, "-out", csr,
       "-subj", "/CN=localhost"},
      {"openssl", "x509", "-req", "-in", csr, "-CA", out->ca_cert, "-CAkey", ca_key,
       "-CAcreateserial", "-out", out->server_cert, "-days", "2", "-extfile", ext},
  };
  for (const auto& argv : steps) {
    RunResult r = Run(argv, {}, std::chrono::seconds(60));
    if (r.status != 0) {
      *error = argv[1] + ": " + r.err;
      return false;
    }
  }
  return true;
}

}  // namespace wsr::testing
