"""One router per area; each route parses, calls a service and renders its result as a page
or as JSON (the page's twin under ``/api``)."""
