// Compiled mode: the definitions of sipevents/transaction/impl/transaction_types.ipp in the library.
#include "sipevents/transaction/impl/transaction_types.ipp"
