// NCursesBackend module
