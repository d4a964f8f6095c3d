// Compiled mode: the definitions of sipevents/pager/impl/iscomposing.ipp in the library.
#include "sipevents/pager/impl/iscomposing.ipp"
