# Included by the Makefile with RELEASE=1: every binary linked statically.
# Debian's static archives, but for librdkafka, libmicrohttpd and curl, which
# tools/release/static-deps builds (it says why) and pkg-config finds first.
STATIC_PREFIX := $(shell tools/release/static-deps)
ifeq ($(STATIC_PREFIX),)
$(error tools/release/static-deps failed (see its message above))
endif
PKG_CONFIG    := PKG_CONFIG_PATH=$(STATIC_PREFIX)/lib/pkgconfig pkg-config --static
STATIC_CFLAGS := -I$(STATIC_PREFIX)/include
LDFLAGS       += -static
LINK_KIND     := static
