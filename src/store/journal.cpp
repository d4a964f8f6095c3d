// Compiled mode: the definitions of sipevents/store/impl/journal.ipp in the library.
#include "sipevents/store/impl/journal.ipp"
