// The little XML the AWS query protocol answers with (STS replies, the
// error bodies of S3, SQS's query API and STS): the text of an element
// found by name. Those replies are flat and small, so a full XML parser
// would add a dependency for nothing.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace c42::aws {

// The text between the first <name ...> and its </name>, with the five
// predefined entities and character references decoded; an empty string
// for <name/>; nullopt when the element is absent or unterminated. To read
// a nested element, look up its parent first and search inside it.
std::optional<std::string> xml_text(std::string_view xml, std::string_view name);

} // namespace c42::aws
