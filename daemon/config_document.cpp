#include "daemon/config_document.hpp"

#include <yaml-cpp/depthguard.h>

#include <string>
#include <vector>

namespace faultline {

std::optional<YAML::Node> read_document(std::string_view yaml, ConfigReader& reader) {
  std::vector<YAML::Node> documents;
  try {
    documents = YAML::LoadAll(std::string(yaml));
  } catch (const YAML::DeepRecursion& e) {
    // yaml-cpp's guard (DepthGuard<500> in its parser) reports this as "bad file".
    reader.error(e.mark,
                 "YAML nesting too deep: the YAML parser (yaml-cpp) stops at 500 levels of "
                 "lists and mappings inside each other; a faultline config needs 5");
    return std::nullopt;
  } catch (const YAML::ParserException& e) {
    reader.error(e.mark, "YAML syntax error: " + e.msg);
    return std::nullopt;
  }
  // A document of nothing but comments, or an empty one after a final '---', hides nothing.
  for (std::size_t i = 1; i < documents.size(); ++i) {
    if (documents[i].IsNull()) continue;
    reader.error(documents[i].Mark(),
                 "a second YAML document (after '---'); faultline reads one document per file: "
                 "merge it into the first or remove the '---'");
    return std::nullopt;
  }
  const YAML::Node root = documents.empty() ? YAML::Node() : documents.front();
  if (!root || root.IsNull()) {
    reader.error(YAML::Mark(), "the file is empty; it needs at least a 'targets:' list");
    return std::nullopt;
  }
  if (!root.IsMap()) {
    reader.error(root.Mark(),
                 "the top level must be a mapping with a 'targets:' list, not " + node_kind(root));
    return std::nullopt;
  }
  return root;
}

}  // namespace faultline
