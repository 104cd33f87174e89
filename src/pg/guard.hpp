// The C++ / PostgreSQL error boundary (STYLE.md). Two directions, one type:
//  - C++ -> PostgreSQL: every SQL function is declared with DW_SQL_FUNCTION; its body runs inside
//    try/catch, the error is copied into plain storage and ereport(ERROR) is raised only after the
//    catch block has ended, when no C++ object of that frame is alive.
//  - PostgreSQL -> C++: PgCall runs code that calls PostgreSQL; an ERROR raised inside comes out
//    as a thrown SqlError (sigsetjmp, restore PG_exception_stack and memory context,
//    CopyErrorData).
#pragma once

#include <csetjmp>
#include <exception>
#include <string>
#include <type_traits>

#include "pg/postgres_headers.hpp"

namespace devicewake::pg {

// An error in PostgreSQL's terms: SQLSTATE (an ERRCODE_* value), message, detail, hint.
// Thrown by C++ code for bad SQL input, and by PgCall for a PostgreSQL ERROR.
class SqlError : public std::exception {
 public:
  SqlError(int sqlstate, std::string message, std::string detail = {}, std::string hint = {})
      : sqlstate_(sqlstate),
        message_(std::move(message)),
        detail_(std::move(detail)),
        hint_(std::move(hint)) {}
  int sqlstate() const noexcept { return sqlstate_; }
  const std::string& message() const noexcept { return message_; }
  const std::string& detail() const noexcept { return detail_; }
  const std::string& hint() const noexcept { return hint_; }
  const char* what() const noexcept override { return message_.c_str(); }

 private:
  int sqlstate_;
  std::string message_;
  std::string detail_;
  std::string hint_;
};

// Plain storage for an error leaving a catch block: no destructor, safe across a longjmp.
struct ErrorReport {
  int sqlstate;
  char message[1024];
  char detail[1024];
  char hint[512];
};
static_assert(std::is_trivially_copyable_v<ErrorReport> &&
              std::is_trivially_destructible_v<ErrorReport>);

// Copies the exception being handled into *report. Call only inside a catch block. Never throws.
void CaptureCurrentException(ErrorReport* report) noexcept;

// ereport(ERROR) with the report's contents. Call only where no C++ destructor is pending.
[[noreturn]] void RaiseReport(const ErrorReport& report);

// Converts the PostgreSQL error being handled (after a longjmp into PgCall) into a SqlError and
// throws it. Restores the memory context that was current when PgCall started.
[[noreturn]] void ThrowPendingPgError(MemoryContext context);

// Runs body (a C++ callable returning Datum) and turns any exception into ereport(ERROR).
template <typename Body>
Datum Guard(Body&& body) {
  ErrorReport report;
  bool failed = false;
  Datum result = (Datum)0;
  try {
    result = body();
  } catch (...) {
    CaptureCurrentException(&report);
    failed = true;
  }
  if (failed) RaiseReport(report);
  return result;
}

// Runs f, which calls PostgreSQL. A PostgreSQL ERROR raised inside f is thrown as SqlError.
// f may be unwound by a longjmp: it must not hold C++ objects with non-trivial destructors
// while it calls PostgreSQL.
// Restores PG_exception_stack and error_context_stack when it goes out of scope, however that
// happens: normal return, a thrown C++ exception (f may throw), or the SqlError PgCall throws
// after a longjmp (pg_duckdb's PgExceptionGuard). Without it, an exception from f would leave
// PG_exception_stack pointing into a dead frame, and the next ereport(ERROR) would jump there.
class PgExceptionStackGuard {
 public:
  PgExceptionStackGuard()
      : saved_exception_stack_(PG_exception_stack), saved_error_context_(error_context_stack) {}
  ~PgExceptionStackGuard() { Restore(); }
  void Restore() {
    PG_exception_stack = saved_exception_stack_;
    error_context_stack = saved_error_context_;
  }
  PgExceptionStackGuard(const PgExceptionStackGuard&) = delete;
  PgExceptionStackGuard& operator=(const PgExceptionStackGuard&) = delete;

 private:
  sigjmp_buf* saved_exception_stack_;
  ErrorContextCallback* saved_error_context_;
};

template <typename F>
auto PgCall(F&& f) -> decltype(f()) {
  MemoryContext context = CurrentMemoryContext;
  PgExceptionStackGuard restore;  // lives in this frame, the longjmp's target: never skipped
  sigjmp_buf local;
  if (sigsetjmp(local, 0) != 0) {
    restore.Restore();  // before anything below can raise again
    ThrowPendingPgError(context);
  }
  PG_exception_stack = &local;
  return f();
}

}  // namespace devicewake::pg

// Declares an SQL-callable function NAME whose body is C++ run under Guard: the only way this
// extension declares SQL functions, so none can let an exception escape.
#define DW_SQL_FUNCTION(name)                                                   \
  static Datum name##_impl(FunctionCallInfo fcinfo);                            \
  extern "C" {                                                                  \
  PG_FUNCTION_INFO_V1(name);                                                    \
  Datum name(PG_FUNCTION_ARGS) {                                                \
    return ::devicewake::pg::Guard([fcinfo]() { return name##_impl(fcinfo); }); \
  }                                                                             \
  }                                                                             \
  static Datum name##_impl(FunctionCallInfo fcinfo)
