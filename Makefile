# The project's commands. See README.md.
.PHONY: setup test lint run bench-radius

setup:          ## venv, dependencies, Debian test peers, database role
	bash tools/setup.sh

test:           ## every check and test: static checks, pytest, Odoo tests
	bash tools/test.sh

lint:           ## static checks only
	bash tools/static_checks.sh

run:            ## Odoo with our add-ons and demo data on http://127.0.0.1:8069
	bash tools/run.sh
