// Compiled mode: the definitions of sipevents/rls/impl/resource_lists.ipp in the library.
#include "sipevents/rls/impl/resource_lists.ipp"
