// Compiled mode: the definitions of sipevents/store/impl/store_codec.ipp in the library.
#include "sipevents/store/impl/store_codec.ipp"
