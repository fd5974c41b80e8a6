/* hostmond: parse the configuration, then hand over to the daemon. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "config/config.h"
#include "daemon/daemon.h"
#include "core/log.h"
#include "core/version.h"

int main(int argc, char **argv)
{
	struct config cfg;
	struct daemon *d;
	bool check_only = false, show_version = false;
	char err[512];
	int ret;

	config_defaults(&cfg);
	ret = config_parse_args(&cfg, argc, argv, &check_only, &show_version, err, sizeof(err));
	if (ret < 0) {
		log_error("config", HM_E_CONFIG_INVALID, NULL, "%s", err);
		return 2;
	}
	if (ret > 0)	/* --help printed the usage */
		return 0;
	if (show_version)
		return version_print(stdout) ? 1 : 0;
	if (check_only) {
		printf("hostmond: configuration is valid\n");
		return 0;
	}
	log_set_level(cfg.log_level);
	log_route_libbpf();
	d = daemon__new(&cfg, argc, argv);
	if (!d)
		return errno == EADDRINUSE ? 2 : 1;
	ret = daemon__run(d);
	daemon__free(d);
	/* The counts of repeats held back, last, so none is lost with the process. */
	log_flush_repeats(1);
	return ret ? 1 : 0;
}
