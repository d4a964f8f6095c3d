// Compiled mode: the definitions of sipevents/message/impl/multipart.ipp in the library.
#include "sipevents/message/impl/multipart.ipp"
