import NeuralEngine
import Foundation
import CBLAS
let t0 = Date()
var g = SeededGenerator(seed: 1)
let n = 60000
var bytes = [UInt8](repeating: 0, count: n * 784)
for i in 0..<bytes.count { bytes[i] = UInt8(truncatingIfNeeded: g.next()) }
let labels = (0..<n).map { _ in Int32(g.nextInt(below: 10)) }
let data = try Dataset(features: .bytes(bytes, scale: 1/255), featureCount: 784, targets: .classes(labels, classCount: 10))
print("blas:", Sequential.blasDescription, "threads", tb_blas_get_threads())
for h in [64, 512] {
  let m = Sequential([Dense(h, activation: .relu), Dropout(0.1), Dense(h, activation: .relu), Dense(10, activation: .softmax)], seed: 1)
  m.compile(optimizer: SGD(learningRate: 0.1, momentum: 0.8, decay: 0.0016), loss: .categoricalCrossentropy)
  let s = Date()
  try m.fit(data, batchSize: 128, epochs: 1)
  let dt = Date().timeIntervalSince(s)
  print(h, "samples/s", Double(n)/dt)
}
