namespace LlmServe.Tokenization.Models;

/// <summary>Per-thread arrays for one BPE merge pass: the symbol list and the candidate-pair heap.</summary>
internal sealed class BpeWorkspace
{
    public int[] Ids = new int[64];
    public int[] Prev = new int[64];
    public int[] Next = new int[64];
    public Candidate[] Heap = new Candidate[64];

    public void EnsureSymbols(int count)
    {
        if (Ids.Length < count)
        {
            int size = Math.Max(count, Ids.Length * 2);
            Array.Resize(ref Ids, size);
            Array.Resize(ref Prev, size);
            Array.Resize(ref Next, size);
        }
    }

    /// <summary>A pair that may merge: left symbol index, right symbol index, the ids it was seen with, rank and result.</summary>
    internal struct Candidate
    {
        public int Rank;
        public int Left;
        public int Right;
        public int LeftId;
        public int RightId;
        public int NewId;

        public readonly bool Before(in Candidate other) => Rank < other.Rank || (Rank == other.Rank && Left < other.Left);
    }
}
