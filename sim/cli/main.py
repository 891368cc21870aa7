"""The ``sim`` command line: the group, its error handling, and the commands it holds.

Exit codes: 0 success, 2 bad input (one line on stderr, ``FILE: key: problem``
or ``--option: problem``), 1 any other failure (one short line), 130
interrupted.  Output files are written through a temporary file and a rename,
so an interrupted run leaves none half-written.

Each command lives in a module of its own (``sim.cli.run``, ``validate``,
``report``, ``sweep``, ``sensitivity``) over ``sim.cli.common``; this module only
assembles them, and no command module imports it.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import warnings

import click

from sim import __version__
from sim.cli.backtest import backtest
from sim.cli.compare import compare
from sim.cli.common import InputError, Terminated, fail, option_name, written_outputs
from sim.cli.init import init
from sim.cli.report import report
from sim.cli.run import run
from sim.cli.sensitivity import sensitivity
from sim.cli.sweep import solve, sweep
from sim.cli.validate import scenarios, validate

__all__ = ["SimGroup", "cli", "library_error", "main"]


def library_error(error: Exception, command: click.Command | None = None) -> str | None:
    """The one line for a library error that is bad input (exit code 2), else None.

    ``ConfigError`` is a scenario's ``source: key: problem``; ``ParameterError``
    names a Python parameter, which the line names by ``command``'s option
    (:func:`sim.cli.common.option_name`: ``max_paths`` -> ``--max-paths``,
    ``overrides`` -> ``--set``).
    """
    # Imported only when something failed: `sim --help` does not load the model (numpy, scipy).
    from sim.model import ConfigError, ParameterError

    if isinstance(error, ConfigError):
        return str(error)
    if isinstance(error, ParameterError):
        return f"{option_name(error.parameter, command)}: {error.problem}"
    return None


class SimGroup(click.Group):
    """Maps errors to one line and an exit code, for the console script and CliRunner alike."""

    def invoke(self, ctx: click.Context):
        # The one place where the library's bad-input errors become the command's options.
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.exceptions.Abort, InputError):
            raise  # the command line's own (--help is an Exit): no need to load the library to tell
        except Exception as e:
            command = self.get_command(ctx, ctx.invoked_subcommand) if ctx.invoked_subcommand else None
            message = library_error(e, command)
            if message is None:
                raise
            raise InputError(message) from None

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        written_outputs.clear()
        on_main = threading.current_thread() is threading.main_thread()
        # SIGTERM unwinds like Ctrl-C: staged outputs are removed, the message says what is left, exit 143.
        previous = signal.signal(signal.SIGTERM, _terminate) if on_main else None
        try:
            with warnings.catch_warnings():
                warnings.showwarning = _show_warning  # the library's warnings as one line, `warning: ...`
                rv = super().main(args=args, prog_name=prog_name or "sim", complete_var=complete_var, standalone_mode=False, **extra)
        except InputError as e:
            fail(str(e), 2)
        except click.UsageError as e:
            if type(e).__name__.startswith("NoArgsIsHelp"):  # plain `sim`: show the help (click >= 8.2)
                click.echo(e.ctx.get_help() if e.ctx else e.format_message())
                sys.exit(0)
            cmd = e.ctx.command_path if e.ctx else "sim"
            fail(f"{cmd}: {e.format_message()}", 2)
        except (KeyboardInterrupt, click.exceptions.Abort) as e:
            term = isinstance(e, Terminated) or isinstance(e.__cause__, Terminated)  # click turns it into Abort
            kept = f"; only {', '.join(written_outputs)} was written" if written_outputs else ""
            fail(f"{'terminated' if term else 'interrupted'}; output files and folders are as they were before this run{kept}",
                 143 if term else 130)
        except click.exceptions.Exit as e:
            sys.exit(e.exit_code)
        except click.ClickException as e:
            fail(e.format_message(), e.exit_code)
        except OSError as e:
            fail(f"{getattr(e, 'filename', None) or 'error'}: {e.strerror or e}", 1)
        except Exception as e:
            if os.environ.get("SIM_DEBUG"):
                raise
            fail(f"error: {type(e).__name__}: {e} (set SIM_DEBUG=1 for a traceback)", 1)
        finally:
            if on_main:
                signal.signal(signal.SIGTERM, previous)
        if not standalone_mode:
            return rv
        sys.exit(0)


def _terminate(signum, frame):
    raise Terminated()


def _show_warning(message, category, filename, lineno, file=None, line=None):
    click.echo(f"warning: {message}", err=True)


@click.group(cls=SimGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="sim")
def cli():
    """Monte Carlo risk simulator for multi-year cloud-compute commitments.

    \b
    Examples:
      sim run                                   # the default scenario, 1M paths
      sim run pinterest_aws_2031_filings --paths 200000
      sim run my_deal.toml --set cloud.commitment.total=5B --json -
      sim validate my_deal.toml
      sim scenarios
      sim init --revenue 1.2B --operating-costs 1.1B --cash 400M --cloud-spend 150M > my_deal.toml
    """


for command in (run, validate, scenarios, init, report, sweep, solve, sensitivity, backtest, compare):
    cli.add_command(command)


def main():  # console-script entry point
    cli.main(prog_name="sim")
