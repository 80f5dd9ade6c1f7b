using LlmServe.Tokenization.Text;

namespace LlmServe.Tokenization.PreTokenizers;

/// <summary>Applies pre-tokenizers in order, each to every piece the previous one produced.</summary>
internal sealed class SequencePreTokenizer(IReadOnlyList<IPreTokenizer> stages) : IPreTokenizer
{
    public void PreTokenize(PieceBuffer source, PieceBuffer destination, PreTokenizerScratch scratch)
    {
        if (stages.Count == 0)
        {
            for (int i = 0; i < source.Count; i++)
            {
                destination.Add(source[i], source.IsAtInputStart(i));
            }

            return;
        }

        PieceBuffer current = source;
        PieceBuffer? rented = null;
        for (int s = 0; s < stages.Count; s++)
        {
            bool last = s == stages.Count - 1;
            PieceBuffer next = last ? destination : scratch.RentPieces();
            stages[s].PreTokenize(current, next, scratch);
            if (rented is not null)
            {
                scratch.ReturnPieces(rented);
            }

            rented = last ? null : next;
            current = next;
        }
    }
}
