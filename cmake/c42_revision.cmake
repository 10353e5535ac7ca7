# Run by every build (the target c42_revision) as
#   cmake -DSOURCE_DIR=... -DBINARY_DIR=... -DVERSION=... -P c42_revision.cmake
# It finds the git revision the sources are at and writes it into
#   generated/c42_revision.cpp  the tools' --version (tools/tool_support.h)
#   generated/c42-ship          the copy of scripts/c42-ship that is installed
# so the tools and the installed driver name the same revision, and the
# installed driver needs no git. Running at every build, not only when
# CMake configures, keeps the revision right after a commit or checkout;
# each file is written only when its content changes, so an unchanged
# revision rebuilds nothing.

# Only the sources' own checkout counts: a tarball unpacked inside some
# other git repository is not at any of that repository's revisions.
execute_process(COMMAND git --git-dir=${SOURCE_DIR}/.git rev-parse --short HEAD
                OUTPUT_VARIABLE revision OUTPUT_STRIP_TRAILING_WHITESPACE
                RESULT_VARIABLE status ERROR_QUIET)
if(NOT status EQUAL 0 OR NOT revision MATCHES "^[0-9a-f]+$")
  set(revision unknown)
endif()

function(write_if_changed path content)
  if(EXISTS "${path}")
    file(READ "${path}" old)
    if(old STREQUAL content)
      return()
    endif()
  endif()
  file(WRITE "${path}" "${content}")
endfunction()

write_if_changed("${BINARY_DIR}/generated/c42_revision.cpp"
"// Written by cmake/c42_revision.cmake at every build.
namespace c42::tool {
extern const char kGitRevision[] = \"${revision}\";
}
")

# The driver carries the version itself (it also runs from the checkout,
# unbuilt), so the build insists that it is the project's.
file(READ "${SOURCE_DIR}/scripts/c42-ship" driver)
if(NOT driver MATCHES "\nreadonly VERSION=([^\n]*)\n")
  message(FATAL_ERROR "scripts/c42-ship has no 'readonly VERSION=' line")
endif()
if(NOT CMAKE_MATCH_1 STREQUAL VERSION)
  message(FATAL_ERROR "scripts/c42-ship says VERSION=${CMAKE_MATCH_1} but the project "
                      "(CMakeLists.txt) is ${VERSION}: make them equal")
endif()
set(unset_revision "\nreadonly REVISION=\"\"\n")
string(FIND "${driver}" "${unset_revision}" at)
if(at EQUAL -1)
  message(FATAL_ERROR "scripts/c42-ship has no 'readonly REVISION=\"\"' line to fill in")
endif()
string(REPLACE "${unset_revision}" "\nreadonly REVISION=${revision}\n" driver "${driver}")
write_if_changed("${BINARY_DIR}/generated/c42-ship" "${driver}")
