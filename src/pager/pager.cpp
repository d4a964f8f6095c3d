// Compiled mode: the definitions of sipevents/pager/impl/pager.ipp in the library.
#include "sipevents/pager/impl/pager.ipp"
