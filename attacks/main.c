/* splitbox-probe NAME [--marker M] [--shared DIR] [--shared-host DIR] [--private DIR] [--nonce N]
 *                [--endpoint E]...: one attack, run as user
 * code inside the backend under test; one JSON document on stdout.
 * splitbox-probe --list: every probe, its table row and its technique. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "probe.h"
#include "report.h"

/* Each table entry's function, in table order. */
#define PROBE_RUN_(id, ...) probe_##id,
static void (*const probe_run[SBX_PROBE_COUNT])(struct probe *p) = { SBX_PROBE_TABLE(PROBE_RUN_) };
#undef PROBE_RUN_

const char *probe_shared_dir = "/app";
const char *probe_shared_host;
const char *probe_private_dir;

static int list(void)
{
  for (size_t i = 0; i < sbx_probe_count; i++)
    {
      const struct sbx_row_def *row = sbx_row_find(sbx_probes[i].row);
      bool confidentiality = row != NULL && strcmp(row->kind, "confidentiality") == 0;
      printf("%-14s %-46s %s%s\n", sbx_probes[i].name, sbx_probes[i].row, sbx_probes[i].technique,
             confidentiality ? "" : " (integrity/information)");
    }
  return 0;
}

int main(int argc, char **argv)
{
  static const struct option opts[] = {
    { "marker", required_argument, NULL, 'm' }, { "shared", required_argument, NULL, 's' },
    { "nonce", required_argument, NULL, 'n' },  { "shared-host", required_argument, NULL, 'H' },
    { "private", required_argument, NULL, 'P' }, { "endpoint", required_argument, NULL, 'e' },
    { "list", no_argument, NULL, 'l' },         { NULL, 0, NULL, 0 },
  };
  struct probe p = { 0 };
  const struct sbx_probe_def *def = NULL;
  int c;

  while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1)
    switch (c)
      {
      case 'm': p.marker = optarg; break;
      case 'n': p.nonce = optarg; break;
      case 's': probe_shared_dir = optarg; break;
      case 'H': probe_shared_host = optarg[0] != '\0' ? optarg : NULL; break;
      case 'P': probe_private_dir = optarg[0] != '\0' ? optarg : NULL; break;
      case 'e':
        if (probe_n_endpoints == PROBE_MAX_ENDPOINTS)
          {
            fprintf(stderr, "splitbox-probe: at most %d --endpoint\n", PROBE_MAX_ENDPOINTS);
            return 2;
          }
        probe_endpoints[probe_n_endpoints++] = optarg;
        break;
      case 'l': return list();
      default:
        fprintf(stderr, "usage: splitbox-probe NAME [--marker M] [--shared DIR] [--shared-host DIR] [--private DIR] "
                        "[--nonce N] [--endpoint E]... | --list\n");
        return 2;
      }
  if (optind < argc)
    def = sbx_probe_find(argv[optind]);
  if (def == NULL)
    {
      fprintf(stderr, "splitbox-probe: unknown probe \"%s\"; see --list\n", optind < argc ? argv[optind] : "");
      return 2;
    }
  probe_find_targets(&p);
  probe_run[def - sbx_probes](&p);
  if (!p.unsupported && report_all_unsupported(p.unsupported_why, sizeof p.unsupported_why))
    p.unsupported = true;
  report_print(stdout, def->name, &p, p.unsupported ? "unsupported" : "ran", NULL);
  return 0;
}
