// Included first by every header of src/core and src/mqtt. Those layers are pure C++: they never
// see PostgreSQL's headers, whose macros clash with the standard library and whose errors longjmp.
#pragma once

#ifdef POSTGRES_H
#error "src/core and src/mqtt must not include PostgreSQL headers: include them before postgres.h"
#endif
