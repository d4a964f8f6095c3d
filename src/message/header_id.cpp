// Compiled mode: the definitions of sipevents/message/impl/header_id.ipp in the library.
#include "sipevents/message/impl/header_id.ipp"
