// OpenSSL's libcrypto (Debian: libssl-dev), used only for the SHA-256 of downloaded data files.
#include <openssl/evp.h>
