// Compiled mode: the definitions of sipevents/store_sqlite/impl/sqlite_store.ipp in the library.
#include "sipevents/store_sqlite/impl/sqlite_store.ipp"
