// Compiled mode: the definitions of sipevents/coding/impl/content_coding.ipp in the library.
#include "sipevents/coding/impl/content_coding.ipp"
