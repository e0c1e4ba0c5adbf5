#include "daemon/config_document.hpp"

#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/eventhandler.h>

#include <sstream>
#include <string>

namespace faultline {
namespace {

// Listens to the parser's events for one document: where its first value, list or mapping
// starts, if it has one.
class ContentProbe : public YAML::EventHandler {
 public:
  std::optional<YAML::Mark> content;

  void OnDocumentStart(const YAML::Mark&) override {}
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark& m, YAML::anchor_t) override { seen(m); }
  void OnScalar(const YAML::Mark& m, const std::string&, YAML::anchor_t,
                const std::string&) override {
    seen(m);
  }
  void OnSequenceStart(const YAML::Mark& m, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {
    seen(m);
  }
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark& m, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {
    seen(m);
  }
  void OnMapEnd() override {}

 private:
  void seen(const YAML::Mark& m) {
    if (!content) content = m;
  }
};

// Where a second document with something in it starts, if the text has one. Throws what the
// parser throws.
std::optional<YAML::Mark> second_document(std::string_view yaml) {
  // Another document needs a marker at the start of a line, '---' or '...'; without one the
  // text is not parsed again.
  if (yaml.find("\n---") == std::string_view::npos &&
      yaml.find("\n...") == std::string_view::npos) {
    return std::nullopt;
  }
  std::istringstream in{std::string(yaml)};
  YAML::Parser parser(in);
  ContentProbe first, second;
  parser.HandleNextDocument(first);
  // One more document and no further: yaml-cpp 0.7 answers a stray ',' with an endless run of
  // empty documents (so YAML::LoadAll never returns on the text ",").
  if (!parser.HandleNextDocument(second)) return std::nullopt;
  return second.content;
}

// The first document of `yaml`; errors (syntax, nesting, a second document) go to `reader`.
std::optional<YAML::Node> first_document(std::string_view yaml, ConfigReader& reader) {
  try {
    YAML::Node root = YAML::Load(std::string(yaml));
    if (auto second = second_document(yaml)) {
      reader.error(*second,
                   "a second YAML document (after '---'); faultline reads one document per "
                   "file: merge it into the first or remove the '---'");
      return std::nullopt;
    }
    return root;
  } catch (const YAML::DeepRecursion& e) {
    // yaml-cpp's guard (DepthGuard<500> in its parser) reports this as "bad file".
    reader.error(e.mark,
                 "YAML nesting too deep: the YAML parser (yaml-cpp) stops at 500 levels of "
                 "lists and mappings inside each other; a faultline config needs 5");
  } catch (const YAML::ParserException& e) {
    reader.error(e.mark, "YAML syntax error: " + e.msg);
  }
  return std::nullopt;
}

}  // namespace

std::optional<YAML::Node> read_document(std::string_view yaml, ConfigReader& reader) {
  auto root = first_document(yaml, reader);
  if (!root) return std::nullopt;
  if (!*root || root->IsNull()) {
    reader.error(YAML::Mark(), "the file is empty; it needs at least a 'targets:' list");
    return std::nullopt;
  }
  if (!root->IsMap()) {
    reader.error(root->Mark(),
                 "the top level must be a mapping with a 'targets:' list, not " + node_kind(*root));
    return std::nullopt;
  }
  return root;
}

}  // namespace faultline
