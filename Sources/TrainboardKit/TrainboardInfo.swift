import Datasets

/// Facts about this build and machine for `trainboard info` and `--version`.
public enum TrainboardInfo {
    public static let version = "0.1.0"
    public static var fashionMNISTLocation: String { DataSource.debianFashionMNISTDirectory }
    public static var kerasCache: String { DataSource.kerasCacheDirectory() }
}
