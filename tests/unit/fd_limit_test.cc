// The arithmetic behind the open-file-limit warning of record, replay and sim.
#include "common/fd_limit.h"

#include <gtest/gtest.h>
#include <sys/resource.h>

#include <algorithm>
#include <string>

namespace wsr {
namespace {

TEST(FdLimit, ConnectionsThatFitKeepDescriptorsForTheProcess) {
  EXPECT_EQ(ConnectionsThatFit(20000, 2), (20000 - kReservedFds) / 2);
  EXPECT_EQ(ConnectionsThatFit(1024, 1), 1024 - kReservedFds);
  EXPECT_EQ(ConnectionsThatFit(kReservedFds, 2), 0u);
  EXPECT_EQ(ConnectionsThatFit(10, 2), 0u);
}

TEST(FdLimit, WarnsWithWhatFitsAndTheUlimitThatWouldBeEnough) {
  FdLimit low{.soft_before = 1024, .soft = 1024, .hard = 1024};
  std::string w = FdHeadroomWarning(low, "record", 2, 10'000);
  EXPECT_NE(w.find("record: the open-file limit (1024) leaves room for about 496 connections (2 "
                   "descriptors each), fewer than 10000"),
            std::string::npos)
      << w;
  EXPECT_NE(w.find("ulimit -n 20032"), std::string::npos) << w;
  EXPECT_NE(w.find("above the hard limit 1024"), std::string::npos) << w;
  EXPECT_EQ(w.find('\n'), std::string::npos) << "one line";

  // Below the hard limit: no word about root.
  FdLimit soft_only{.soft_before = 1024, .soft = 1024, .hard = 65536};
  w = FdHeadroomWarning(soft_only, "sim", 1, 10'000);
  EXPECT_NE(w.find("room for about 992 connections (1 descriptor each)"), std::string::npos) << w;
  EXPECT_NE(w.find("ulimit -n 10032"), std::string::npos) << w;
  EXPECT_EQ(w.find("hard limit"), std::string::npos) << w;

  FdLimit enough{.soft_before = 1024, .soft = 65536, .hard = 65536};
  EXPECT_EQ(FdHeadroomWarning(enough, "record", 2, 10'000), "");
}

TEST(FdLimit, RaisesTheSoftLimitToTheHardLimit) {
  rlimit saved{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &saved), 0);
  if (saved.rlim_max < 512) GTEST_SKIP() << "hard limit too low to test with";
  rlimit low = saved;
  low.rlim_cur = 256;
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &low), 0);
  FdLimit l = RaiseFdLimit();
  EXPECT_EQ(l.soft_before, 256u);
  EXPECT_GT(l.soft, 256u);
  EXPECT_EQ(l.soft, std::min<uint64_t>(saved.rlim_max, kMaxSoftFdLimit));
  rlimit now{};
  getrlimit(RLIMIT_NOFILE, &now);
  EXPECT_EQ(now.rlim_cur, l.soft);
  setrlimit(RLIMIT_NOFILE, &saved);
}

}  // namespace
}  // namespace wsr
