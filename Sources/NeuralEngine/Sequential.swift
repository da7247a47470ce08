public final class Sequential {}
