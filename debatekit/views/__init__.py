"""Blueprints: each parses the request, calls a service, renders or redirects."""


def register_blueprints(app) -> None:
    from . import assignments, auth, classes, handouts, lessons, main, submissions

    app.register_blueprint(main.bp)
    app.register_blueprint(auth.bp)
    app.register_blueprint(lessons.bp)
    app.register_blueprint(classes.bp)
    app.register_blueprint(assignments.bp)
    app.register_blueprint(submissions.bp)
    app.register_blueprint(handouts.bp)
