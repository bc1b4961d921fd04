// phoenix::FindPointer: the byte range of a JSON pointer's value, found by scanning (the
// redactor splices placeholders there instead of re-serializing a whole document).
#include <gtest/gtest.h>

#include <string>

#include "phoenix/json_scan.h"

namespace wsr::phoenix {
namespace {

std::string At(std::string_view doc, std::string_view pointer) {
  auto r = FindPointer(doc, pointer);
  return r ? std::string(doc.substr(r->first, r->second - r->first)) : "<none>";
}

TEST(FindPointer, ObjectsArraysAndNesting) {
  std::string doc = R"( { "a" : 1, "b": {"c": [10, "x", {"d": null}]}, "e": "s" } )";
  EXPECT_EQ(At(doc, "/a"), "1");
  EXPECT_EQ(At(doc, "/b/c"), R"([10, "x", {"d": null}])");
  EXPECT_EQ(At(doc, "/b/c/1"), R"("x")");
  EXPECT_EQ(At(doc, "/b/c/2/d"), "null");
  EXPECT_EQ(At(doc, "/e"), R"("s")");
  EXPECT_EQ(At(doc, ""), R"({ "a" : 1, "b": {"c": [10, "x", {"d": null}]}, "e": "s" })");
}

TEST(FindPointer, MissingPathsAndBadIndexes) {
  std::string doc = R"({"a":[1,2],"b":{}})";
  EXPECT_EQ(At(doc, "/x"), "<none>");
  EXPECT_EQ(At(doc, "/a/2"), "<none>");
  EXPECT_EQ(At(doc, "/a/01"), "<none>");  // no leading zeros
  EXPECT_EQ(At(doc, "/a/-"), "<none>");
  EXPECT_EQ(At(doc, "/a/0/x"), "<none>");  // into a scalar
  EXPECT_EQ(At(doc, "/b/x"), "<none>");
  EXPECT_EQ(At(doc, "a"), "<none>");  // not a pointer
}

TEST(FindPointer, EscapedKeysAndPointerTokens) {
  std::string doc = R"({"a/b":1,"m~n":2,"\u0074oken":"t","\"q\"":3})";
  EXPECT_EQ(At(doc, "/a~1b"), "1");
  EXPECT_EQ(At(doc, "/m~0n"), "2");
  EXPECT_EQ(At(doc, "/token"), R"("t")");
  EXPECT_EQ(At(doc, "/\"q\""), "3");
}

TEST(FindPointer, LastDuplicateKeyWinsAsInNlohmann) {
  EXPECT_EQ(At(R"({"k":1,"k":2})", "/k"), "2");
}

TEST(FindPointer, MalformedTextIsNotFound) {
  EXPECT_EQ(At(R"({"a":1,)", "/a"), "<none>");
  EXPECT_EQ(At(R"({"a":tru})", "/a"), "<none>");
  EXPECT_EQ(At(R"({"a" 1})", "/a"), "<none>");
  EXPECT_EQ(At(std::string(2000, '[') + std::string(2000, ']'), "/0/0"), "<none>");  // depth
}

}  // namespace
}  // namespace wsr::phoenix
