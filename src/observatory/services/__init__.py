"""What a page, an API route, a report, a notebook or a command shows: typed read models and
commands over the engines and the registry.

Why a layer of its own: every face (web, reports, CLI, notebooks) must show the same figures,
so each figure is computed in one place here, with the region scopes and object rules that
decide who sees what. Faces only parse, call and format. Services never import a face.
"""
