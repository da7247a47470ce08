print("trainboard")
