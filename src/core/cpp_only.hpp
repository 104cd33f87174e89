// Included first by every header of src/core and src/mqtt. Those layers are pure C++: they never
// see PostgreSQL's headers, whose macros clash with the standard library and whose errors longjmp.
// Deliberately without #pragma once or an include guard: every header that includes it is
// checked, not only the first one (a core header first included after postgres.h fails here).

#ifdef POSTGRES_H
#error "src/core and src/mqtt must not include PostgreSQL headers: include them before postgres.h"
#endif
