using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using ClientCertHttp.Certificates;

namespace ClientCertHttp.Benchmarks;

/// <summary>
/// The worst case of reading a hostile PEM input (issue 14, item 13): text made only of
/// <c>-----BEGIN CERTIFICATE-----</c> lines with no end. The platform's <see cref="PemEncoding.TryFind(ReadOnlySpan{char}, out PemFields)"/>
/// searches the rest of the input for the end of each section it starts, so its cost grows with the square of the
/// size (measured here at 64 and 256 KiB; at 4 MiB, the file cap, it runs for minutes). The library scans every
/// input once (<see cref="PemScan"/>) and refuses such text before the platform parses it: measured at the full 4 MiB.
/// </summary>
[MemoryDiagnoser]
public class PemWorstCaseBenchmarks
{
    private const string Line = "-----BEGIN CERTIFICATE-----\n";
    private string _text = null!;
    private string _fourMiB = null!;

    [Params(64 * 1024, 256 * 1024)]
    public int Bytes { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _text = Craft(Bytes);
        _fourMiB = Craft(4 * 1024 * 1024);
    }

    [Benchmark(Baseline = true, Description = "platform: PemEncoding.TryFind over the input")]
    public int PlatformTryFind()
    {
        var sections = 0;
        var text = _text.AsSpan();
        while (PemEncoding.TryFind(text, out var fields))
        {
            sections++;
            text = text[fields.Location.End..];
        }

        return sections;
    }

    [Benchmark(Description = "library: PemScan.Check over the same input")]
    public string? LibraryScan() => PemScan.Check(_text, maxSections: 64);

    [Benchmark(Description = "library: PemScan.Check over 4 MiB (the file cap)")]
    public string? LibraryScanFourMiB() => PemScan.Check(_fourMiB, maxSections: 64);

    private static string Craft(int bytes) => string.Concat(Enumerable.Repeat(Line, bytes / Line.Length));
}
