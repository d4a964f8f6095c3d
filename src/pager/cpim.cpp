// Compiled mode: the definitions of sipevents/pager/impl/cpim.ipp in the library.
#include "sipevents/pager/impl/cpim.ipp"
