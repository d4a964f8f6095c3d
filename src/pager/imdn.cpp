// Compiled mode: the definitions of sipevents/pager/impl/imdn.ipp in the library.
#include "sipevents/pager/impl/imdn.ipp"
