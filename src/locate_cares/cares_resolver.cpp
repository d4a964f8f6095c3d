// Compiled mode: the definitions of sipevents/locate_cares/impl/cares_resolver.ipp in the library.
#include "sipevents/locate_cares/impl/cares_resolver.ipp"
