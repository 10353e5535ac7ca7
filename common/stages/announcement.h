// Turns an SQS message body into the S3 objects it announces. Code42 and AWS
// deliver the same news in several envelopes; callers only need bucket + key.
#pragma once

#include "common/result.h"

#include <string>
#include <string_view>
#include <vector>

namespace c42 {

struct S3ObjectRef {
  std::string bucket;
  std::string key;        // decoded: ready for a GetObject request
  std::string event_time; // as given by the sender, may be empty
};

struct S3Announcement {
  std::vector<S3ObjectRef> objects;
  // s3:TestEvent, sent once when a bucket notification is configured.
  bool test_event = false;
  // Which envelope the body was: "code42", "s3", "eventbridge", "s3-test", or
  // one of those behind an SNS topic with the prefix "sns+" (e.g. "sns+s3").
  std::string format;
};

// Accepted bodies:
//   code42       {"Bucket Name": b, "Object Key": k, "Event Time": t}; the key
//                is literal (Code42 does not URL-encode it). A message may
//                also name several objects as a JSON array of these; every
//                element must be one (an empty array or any other element is
//                an error naming its 0-based index), and the format is still
//                "code42".
//   s3           {"Records": [...]} S3 event notification; keys are form-URL-
//                encoded ('+' is a space) and are decoded. Records whose
//                eventName is not ObjectCreated:* are skipped, so an
//                announcement may legitimately list no objects.
//   eventbridge  {"source": "aws.s3", "detail-type": ..., "detail": {...}};
//                keys are decoded like "s3". Detail types other than
//                "Object Created" announce nothing (no objects, no error).
//   s3-test      {"Event": "s3:TestEvent", ...}: test_event, no objects.
//   sns+<any>    {"Type": "Notification", "Message": "<one of the above>"},
//                a Code42 array included.
// Anything else is an Error with a one-line message that quotes at most a
// short excerpt of the body.
Result<S3Announcement> parse_s3_announcement(std::string_view body);

} // namespace c42
