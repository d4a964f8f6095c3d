// Compiled mode: the definitions of sipevents/rls/impl/list_view.ipp in the library.
#include "sipevents/rls/impl/list_view.ipp"
